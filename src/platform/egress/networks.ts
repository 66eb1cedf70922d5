import ipaddr from 'ipaddr.js';

/** An address range: a parsed CIDR (a bare address is /32 or /128). */
export type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Addresses that are not public (ADR 0013), from IANA's IPv4 and IPv6 Special-Purpose Address
 * Registries: nothing here is a server on the internet, and much of it is the platform's own
 * (loopback, the cloud metadata service at 169.254.169.254, the private networks).
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) are judged by the IPv4 address
 * they carry, which is where a connection to them goes.
 */
const SPECIAL = [
  '0.0.0.0/8', // "this network", the unspecified address
  '10.0.0.0/8', // private
  '100.64.0.0/10', // shared address space (carrier-grade NAT)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local (cloud metadata services)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.88.99.0/24', // 6to4 relay anycast (deprecated)
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the broadcast address
  '::/96', // unspecified, loopback (::1) and the deprecated IPv4-compatible addresses
  '::ffff:0:0:0/96', // IPv4-translated addresses (SIIT, RFC 2765): a translator's way to any IPv4 address
  '64:ff9b:1::/48', // local-use IPv4/IPv6 translation
  '100::/64', // discard-only
  '2001::/23', // IETF protocol assignments (Teredo, benchmarking, ORCHID, …)
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4
  '3fff::/20', // documentation
  '5f00::/16', // segment routing (SRv6) SIDs
  'fc00::/7', // unique local
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
].map((cidr) => ipaddr.parseCIDR(cidr) as Network);

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96') as Network;

/** The address a connection to `address` really reaches: IPv4-mapped and NAT64 addresses as their IPv4 one. */
function effective(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv4') return address;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  if (v6.match(NAT64)) return ipaddr.fromByteArray(v6.toByteArray().slice(12));
  return v6;
}

function inAny(address: ipaddr.IPv4 | ipaddr.IPv6, networks: readonly Network[]): boolean {
  return networks.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}

/** Whether `address` (an IP literal) is a public address, i.e. in none of the special-purpose ranges. */
export function isPublicAddress(address: string): boolean {
  return !inAny(effective(ipaddr.parse(address)), SPECIAL);
}

/** Whether `address` may be reached: public, or inside one of the `allowed` networks. */
export function isReachable(address: string, allowed: readonly Network[]): boolean {
  const a = effective(ipaddr.parse(address));
  return !inAny(a, SPECIAL) || inAny(a, allowed);
}

/** An IP literal as written in a URL's host ([::1] → ::1), or null for a name. */
export function ipLiteral(host: string): string | null {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return ipaddr.IPv4.isValidFourPartDecimal(bare) || ipaddr.IPv6.isValid(bare) ? bare : null;
}

/**
 * Parses a comma-separated list of CIDRs or bare addresses (`127.0.0.0/8, ::1`), in dotted-quad
 * and RFC 4291 forms only; throws with the first bad entry named.
 */
export function parseNetworks(list: string): Network[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      const [address, bits, ...rest] = entry.split('/');
      const v4 = ipaddr.IPv4.isValidFourPartDecimal(address);
      if (rest.length > 0 || (!v4 && !ipaddr.IPv6.isValid(address)) || address.includes('%'))
        throw new Error(`"${entry}" is not an IP address or CIDR`);
      const max = v4 ? 32 : 128;
      if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))
        throw new Error(`"${entry}" has a prefix length outside 0…${max}`);
      const base = ipaddr.parse(address);
      const length = bits === undefined ? max : Number(bits);
      return base.kind() === 'ipv6' ? asIPv4Range(entry, base as ipaddr.IPv6, length) : ([base, length] as Network);
    });
}

/**
 * An IPv4-mapped or NAT64 range as the IPv4 range it stands for: addresses are judged by the IPv4
 * address they carry (`effective`), so the IPv6 form would never match.
 */
function asIPv4Range(entry: string, base: ipaddr.IPv6, bits: number): Network {
  if (!base.isIPv4MappedAddress() && !base.match(NAT64)) return [base, bits];
  if (bits < 96) throw new Error(`"${entry}" is wider than the IPv4 addresses it maps: write the IPv4 range`);
  return [effective(base), bits - 96];
}
