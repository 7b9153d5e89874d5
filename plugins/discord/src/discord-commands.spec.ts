import { buttonCommand, buttonRows, commandText, SLASH_COMMANDS } from './discord-commands';

describe('commandText', () => {
  it('writes a command run as the text the engine parses, options in declared order', () => {
    expect(commandText('status', [])).toBe('/status');
    expect(commandText('attach', [{ name: 'delivery', value: 'final' }, { name: 'session', value: ' s-42 ' }])).toBe('/attach s-42 final');
    expect(commandText('stop', [{ name: 'kill', value: true }])).toBe('/stop kill');
    expect(commandText('stop', [{ name: 'kill', value: false }])).toBe('/stop');
  });

  it('declares valid Discord commands: lowercase names, descriptions up to 100, required options first', () => {
    for (const command of SLASH_COMMANDS) {
      expect(command.name).toMatch(/^[a-z]{1,32}$/);
      expect(command.description.length).toBeLessThanOrEqual(100);
      const required = (command.options ?? []).map((o) => Boolean('required' in o && o.required));
      expect(required).toEqual([...required].sort((a, b) => Number(b) - Number(a)));
    }
  });
});

describe('buttons', () => {
  it('maps a pressed button to the command it carries', () => {
    expect(buttonCommand('stop:s-42')).toBe('/stop');
    expect(buttonCommand('launch:s-42')).toBeUndefined();
  });

  it('renders buttons as one action row, Stop in red, within Discord’s limits', () => {
    expect(buttonRows(undefined)).toEqual([]);
    const [row] = buttonRows([{ id: `stop:${'s'.repeat(120)}`, label: 'Stop' }]);
    expect(row.components[0]).toEqual({ type: 2, style: 4, label: 'Stop', custom_id: `stop:${'s'.repeat(95)}` });
  });
});
