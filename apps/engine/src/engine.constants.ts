/** Queue group of engines: each inbound message and output event is handled by one. */
export const ENGINE_QUEUE = 'engine';
/** The agents found at start and the default agent chosen (AgentSurveyV1). */
export const AGENT_SURVEY = Symbol('AGENT_SURVEY');
/** Every agent profile (ReadonlyMap<string, AgentProfile>), built and checked once at start. */
export const AGENT_PROFILES = Symbol('AGENT_PROFILES');
/** What the engine's database is, for status and doctor (no password). */
export const DATABASE_LABEL = Symbol('DATABASE_LABEL');
