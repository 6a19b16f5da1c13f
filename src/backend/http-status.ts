/**
 * What an HTTP status on a backend's API path says about OUR config. A 4xx means the URL leads
 * to something that does not serve that API (a typo in the port or path, another program, a proxy
 * that refuses us): misconfigured, the same for mirai and OneBot. 408 and 429 are the server's
 * passing trouble, and 5xx its failure: unhealthy.
 */
export function isConfigStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
