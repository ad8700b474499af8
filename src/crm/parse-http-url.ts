/**
 * The checks every configured outbound URL gets (connects, destinations): absolute, http or https,
 * no credentials in it. `credentialsHint` says where credentials belong in that file. Each fault is
 * reported through `fail` at `url`; undefined when the URL cannot be used at all.
 */
export function parseHttpUrl(text: string, credentialsHint: string, fail: (path: string, message: string) => void): URL | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail('url', 'not an absolute URL');
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail('url', `scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
    return undefined;
  }
  if (url.username || url.password) {
    fail('url', `credentials in the URL are not allowed; ${credentialsHint}`);
    return undefined;
  }
  return url;
}
