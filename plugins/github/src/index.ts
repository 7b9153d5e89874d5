export * from './github.plugin';
export { signBody, verifySignature } from './github-signature';
