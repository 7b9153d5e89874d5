/**
 * Stamps the page's style nonce (a `<meta name="style-nonce">` the gateway writes into each
 * page, and names in its Content-Security-Policy) on every `<style>` element created from
 * here on. Libraries such as xterm create style elements and take no nonce; without it the
 * policy refuses them. Stamped at creation, before insertion, which is when it counts.
 */
export function stampStyleNonce(): void {
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="style-nonce"]')?.content;
  if (!nonce) return;
  const create = document.createElement.bind(document) as (tag: string, options?: ElementCreationOptions) => HTMLElement;
  document.createElement = ((tag: string, options?: ElementCreationOptions) => {
    const element = create(tag, options);
    if (tag.toLowerCase() === 'style') element.setAttribute('nonce', nonce);
    return element;
  }) as typeof document.createElement;
}
