import type { ComponentType, VNode } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/**
 * A component whose code is loaded on first use (its own chunk), showing `fallback` until
 * then: the Markdown highlighter and the terminal are most of the page's weight, and the
 * first paint should not wait for them.
 */
export function lazyComponent<P extends object>(load: () => Promise<ComponentType<P>>, fallback: (props: P) => VNode | null): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    const [component, setComponent] = useState(() => loaded);
    useEffect(() => {
      if (component) return;
      loading ??= load().then((c) => (loaded = c));
      let current = true;
      void loading.then((c) => current && setComponent(() => c));
      return () => {
        current = false;
      };
    }, []);
    const Component = component;
    return Component ? <Component {...props} /> : fallback(props);
  };
}
