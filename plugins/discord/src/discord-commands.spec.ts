import { buttonRows, commandText, SLASH_COMMANDS } from './discord-commands';

describe('commandText', () => {
  it('writes a command run as the text the engine parses, options in declared order', () => {
    expect(commandText('status', [])).toBe('/status');
    expect(
      commandText('attach', [
        { name: 'delivery', value: 'final' },
        { name: 'session', value: ' s-42 ' },
      ]),
    ).toBe('/attach s-42 final');
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
  it('renders buttons in action rows of five, Stop in red, within Discord’s limits', () => {
    expect(buttonRows(undefined)).toEqual([]);
    const [row] = buttonRows([{ id: `stop:${'s'.repeat(120)}`, label: 'Stop' }]);
    expect(row.components[0]).toEqual({ type: 2, style: 4, label: 'Stop', custom_id: `stop:${'s'.repeat(95)}` });
    const approvals = Array.from({ length: 7 }, (_, i) => ({ id: `pair:CODE000${i}`, label: `Approve ${i}` }));
    expect(buttonRows(approvals).map((r) => r.components.length)).toEqual([5, 2]);
    expect(buttonRows(approvals)[1].components[1]).toMatchObject({ style: 2, custom_id: 'pair:CODE0006' });
  });
});
