/** Link to the app's operation view in the Argo CD UI. */
export function argocdAppUrl(base: string, namespace: string, name: string): string {
  return `${base.replace(/\/+$/, '')}/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}?operation=true`;
}
