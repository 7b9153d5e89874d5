import { toTelegramHtml } from './telegram-format';

describe('toTelegramHtml', () => {
  it('escapes what HTML mode would read as markup', () => {
    expect(toTelegramHtml('a < b && c > d')).toBe('a &lt; b &amp;&amp; c &gt; d');
  });

  it('turns fences, inline code and bold into Telegram tags', () => {
    expect(toTelegramHtml('Run **this**:\n```bash\necho <hi>\n```\nthen `ls -a` done')).toBe(
      'Run <b>this</b>:\n<pre><code class="language-bash">echo &lt;hi&gt;</code></pre>\nthen <code>ls -a</code> done',
    );
  });

  it('leaves an unclosed fence or star as escaped text', () => {
    expect(toTelegramHtml('```js\nlet a = 1 < 2')).toBe('```js\nlet a = 1 &lt; 2');
    expect(toTelegramHtml('**not bold')).toBe('**not bold');
  });
});
