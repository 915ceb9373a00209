import type { Dispatcher, fetch as undiciFetch } from 'undici';


/** The proxy settings of the environment, by the names curl and most tools read (upper case wins). */
export interface ProxyEnvironment {
  httpsProxy: string | undefined;
  httpProxy: string | undefined;
  noProxy: string | undefined;
}

function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name] ?? env[name.toLowerCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case forms), or null when no proxy is set. */
export function proxyEnvironment(env: NodeJS.ProcessEnv): ProxyEnvironment | null {
  const httpsProxy = variable(env, 'HTTPS_PROXY');
  const httpProxy = variable(env, 'HTTP_PROXY');
  if (httpsProxy === undefined && httpProxy === undefined) return null;
  return { httpsProxy, httpProxy, noProxy: variable(env, 'NO_PROXY') };
}

/** The `fetch` of the Slack Web API client (@slack/web-api 8 calls fetch, not an http.Agent). */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that goes through the proxy the environment names, tunnelling https with CONNECT and leaving the
 * hosts of NO_PROXY direct (undici's EnvHttpProxyAgent: the curl conventions, `*`, suffixes, ports).
 * undici is loaded on the first call, so a service without a proxy never loads it.
 */
export function proxiedFetch(proxy: ProxyEnvironment): FetchFunction {
  let loaded: Promise<{ fetch: typeof undiciFetch; dispatcher: Dispatcher }> | null = null;
  return async (input, init) => {
    loaded ??= import('undici').then(({ EnvHttpProxyAgent, fetch }) => ({
      fetch,
      // Every value explicit ('' for none): undici falls back to process.env for a missing one, and the
      // environment given here (the service's, or a test's) must be the only one read.
      dispatcher: new EnvHttpProxyAgent({
        httpsProxy: proxy.httpsProxy ?? proxy.httpProxy ?? '',
        httpProxy: proxy.httpProxy ?? '',
        noProxy: proxy.noProxy ?? '',
      }),
    }));
    const { fetch, dispatcher } = await loaded;
    const url = input instanceof Request ? input.url : input;
    return fetch(url, { ...init, dispatcher });
  };
}
