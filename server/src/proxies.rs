//! The client's address behind reverse proxies. The CIDR arithmetic is the
//! `ipnet` crate's; the rule of which hop to believe is the lesson, and stays here.
//!
//! `X-Forwarded-For` is written by whoever sends the request, so believing it
//! blindly lets any client pick the address its failed logins are counted
//! against (and the one the audit log records). It is read only when the
//! socket's peer is a configured proxy (`BACKSTAGE_TRUSTED_PROXIES`), and then
//! from the right: each trusted proxy appends the address it saw, so the
//! rightmost entry that is not one of our proxies is the client. Entries left
//! of it were written by the client and are ignored.

use std::net::{IpAddr, Ipv6Addr};

use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` entries we believe: addresses or
/// CIDR ranges, `127.0.0.1, 10.0.0.0/8, fd00::/8`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list; the error names the entry that is wrong.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                parse_network(entry)
                    .ok_or_else(|| format!("{entry:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client's address, given the socket's peer and the request's
    /// `X-Forwarded-For` header values in the order they arrived, as bytes:
    /// a line dropped whole for one byte that is not UTF-8 (the client's
    /// own) would drop the hop our proxy appended to it too, and name the
    /// proxy as the client (an audit trail and a throttle bucket forged).
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl DoubleEndedIterator<Item = &'a [u8]>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = forwarded_for
            .rev()
            .flat_map(|value| value.rsplit(|byte| *byte == b','));
        for hop in hops {
            // Garbage from a hop we cannot trust ends the walk at the last good one.
            let Some(ip) = std::str::from_utf8(hop)
                .ok()
                .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
            else {
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// The block one client usually holds: its address, or for IPv6 the /64
/// around it. A home or a phone gets a whole /64, so counted address by
/// address it would be 2^64 clients, each with fresh guesses or connections.
pub fn client_block(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// An address is a network of one (`/32` or `/128`).
fn parse_network(entry: &str) -> Option<IpNet> {
    entry
        .parse::<IpNet>()
        .ok()
        .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(trusted: &str, peer: &str, headers: &[&str]) -> String {
        let headers = headers.iter().map(|header| header.as_bytes());
        TrustedProxies::parse(trusted)
            .unwrap()
            .client_ip(peer.parse().unwrap(), headers)
            .to_string()
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        assert_eq!(client("", "198.51.100.9", &["203.0.113.7"]), "198.51.100.9");
        assert_eq!(
            client("10.0.0.0/8", "198.51.100.9", &["203.0.113.7"]),
            "198.51.100.9"
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        assert_eq!(
            client("10.0.0.1", "10.0.0.1", &["203.0.113.7"]),
            "203.0.113.7"
        );
        // The client wrote "1.2.3.4" itself; our proxy appended what it saw.
        assert_eq!(
            client("10.0.0.1", "10.0.0.1", &["1.2.3.4, 203.0.113.7"]),
            "203.0.113.7"
        );
        // Two proxies of ours, and the header split over two lines.
        assert_eq!(
            client(
                "10.0.0.0/8",
                "10.0.0.2",
                &["1.2.3.4, 203.0.113.7", "10.0.0.1"]
            ),
            "203.0.113.7"
        );
    }

    #[test]
    fn a_trusted_proxy_without_the_header_or_with_garbage_is_the_client() {
        assert_eq!(client("127.0.0.1", "127.0.0.1", &[]), "127.0.0.1");
        assert_eq!(
            client("127.0.0.1", "127.0.0.1", &["not-an-ip"]),
            "127.0.0.1"
        );
        assert_eq!(
            client("10.0.0.0/8", "10.0.0.2", &["evil, 10.0.0.1"]),
            "10.0.0.1"
        );
    }

    #[test]
    fn a_byte_that_is_not_utf8_loses_only_its_own_hop() {
        // What nginx sends on after a client's `X-Forwarded-For: \xff`.
        let line: &[u8] = b"\xff, 198.51.100.9";
        let client = TrustedProxies::parse("127.0.0.1")
            .unwrap()
            .client_ip("127.0.0.1".parse().unwrap(), [line].into_iter());
        assert_eq!(client.to_string(), "198.51.100.9");
    }

    #[test]
    fn ranges_match_by_prefix_in_both_families() {
        assert_eq!(
            client("fd00::/8", "fd12::1", &["2001:db8::5"]),
            "2001:db8::5"
        );
        assert_eq!(client("fd00::/8", "fe80::1", &["2001:db8::5"]), "fe80::1");
        // IPv4 peers seen through an IPv6 socket are still IPv4.
        assert_eq!(
            client("192.168.0.0/16", "::ffff:192.168.1.1", &["203.0.113.7"]),
            "203.0.113.7"
        );
        assert_eq!(
            client("0.0.0.0/0", "192.0.2.1", &["203.0.113.7"]),
            "203.0.113.7"
        );
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(
            TrustedProxies::parse("10.0.0.1, proxy.local")
                .unwrap_err()
                .contains("proxy.local")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert_eq!(
            TrustedProxies::parse(" ").unwrap(),
            TrustedProxies::default()
        );
    }
}
