import { threadName, withoutMention } from './discord-text';

describe('withoutMention', () => {
  it('drops the bot’s mentions (both forms) and trims, keeping other mentions and line breaks', () => {
    expect(withoutMention('<@42> fix  it\nnow <@!42>', '42')).toBe('fix it\nnow');
    expect(withoutMention('ask <@7> about <@42>', '42')).toBe('ask <@7> about');
    expect(withoutMention('<@42>', '42')).toBe('');
  });
});

describe('threadName', () => {
  it('is the first non-blank line, within 100 characters', () => {
    expect(threadName('\n  fix the build \nplease')).toBe('fix the build');
    const long = threadName('x'.repeat(150));
    expect(long).toHaveLength(100);
    expect(long.endsWith('…')).toBe(true);
    expect(threadName('   ')).toBe('Patchbay session');
  });
});
