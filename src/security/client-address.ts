/**
 * The client address comes from the socket. X-Forwarded-For is believed only when the socket peer
 * is a configured trusted proxy, and then only up to the first hop that is not itself trusted
 * (reading right to left), so a client cannot spoof its address by sending the header itself.
 */
import net from "node:net";

function normalize(addr: string): string {
  const trimmed = addr.trim();
  return trimmed.startsWith("::ffff:") && net.isIPv4(trimmed.slice(7)) ? trimmed.slice(7) : trimmed;
}

export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: readonly string[],
): string {
  const peer = normalize(socketAddress ?? "");
  if (trusted.length === 0 || !trusted.includes(peer) || forwardedFor === undefined) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map(normalize)
    .filter((h) => net.isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!trusted.includes(hop)) return hop;
  }
  return hops[0] ?? peer;
}
