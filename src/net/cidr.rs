//! IPv4 CIDR blocks and sets of address ranges: enough to tell whether security group rules
//! cover a subnet, an endpoint's subnets, a prefix list or the whole internet.

use std::fmt;

/// An IPv4 CIDR block. Host bits are cleared on parsing (`10.0.0.7/24` is `10.0.0.0/24`),
/// as EC2 does for security group rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Cidr {
    network: u32,
    prefix: u8,
}

/// A CIDR that could not be read, with the text and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CidrError {
    pub text: String,
    pub problem: &'static str,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed IPv4 CIDR `{}`: {}", self.text, self.problem)
    }
}

impl std::error::Error for CidrError {}

impl Ipv4Cidr {
    /// The whole IPv4 space, `0.0.0.0/0`.
    pub const ANY: Ipv4Cidr = Ipv4Cidr {
        network: 0,
        prefix: 0,
    };

    pub fn parse(text: &str) -> Result<Ipv4Cidr, CidrError> {
        let error = |problem| CidrError {
            text: text.to_string(),
            problem,
        };
        let (address, prefix) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| error("no `/prefix`"))?;
        let prefix = parse_decimal(prefix, 32)
            .ok_or_else(|| error("the prefix length is not a number from 0 to 32"))?;
        let mut octets = address.split('.');
        let mut network: u32 = 0;
        for _ in 0..4 {
            let octet = octets
                .next()
                .ok_or_else(|| error("the address does not have four parts"))?;
            let value = parse_decimal(octet, 255)
                .ok_or_else(|| error("an address part is not a number from 0 to 255"))?;
            network = (network << 8) | value;
        }
        if octets.next().is_some() {
            return Err(error("the address has more than four parts"));
        }
        let prefix = prefix as u8;
        Ok(Ipv4Cidr {
            network: network & mask(prefix),
            prefix,
        })
    }

    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }

    /// The first address of the block.
    pub fn first(&self) -> u32 {
        self.network
    }

    /// The last address of the block.
    pub fn last(&self) -> u32 {
        self.network | !mask(self.prefix)
    }

    /// Whether every address of `other` is in `self`.
    pub fn contains(&self, other: &Ipv4Cidr) -> bool {
        self.first() <= other.first() && other.last() <= self.last()
    }

    /// Whether the two blocks share at least one address.
    pub fn overlaps(&self, other: &Ipv4Cidr) -> bool {
        self.first() <= other.last() && other.first() <= self.last()
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.network.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

/// A decimal number of at most three digits, no sign, not above `max`.
fn parse_decimal(text: &str, max: u32) -> Option<u32> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>().ok().filter(|value| *value <= max)
}

/// How much of a block (or of several blocks) a set of ranges covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Coverage {
    Full,
    Partial,
    None,
}

/// A union of IPv4 address ranges, kept sorted and merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeSet {
    /// Inclusive `(first, last)` pairs, sorted, not overlapping and not adjacent.
    ranges: Vec<(u32, u32)>,
}

impl RangeSet {
    pub fn new() -> RangeSet {
        RangeSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn insert(&mut self, cidr: Ipv4Cidr) {
        self.insert_range(cidr.first(), cidr.last());
    }

    /// Adds every range of `other`.
    pub fn extend(&mut self, other: &RangeSet) {
        for &(first, last) in &other.ranges {
            self.insert_range(first, last);
        }
    }

    fn insert_range(&mut self, first: u32, last: u32) {
        // Ranges are few (one per rule); a linear merge keeps this obvious.
        let (mut first, mut last) = (first, last);
        let mut merged = Vec::with_capacity(self.ranges.len() + 1);
        for &(f, l) in &self.ranges {
            let touches =
                u64::from(f) <= u64::from(last) + 1 && u64::from(first) <= u64::from(l) + 1;
            if touches {
                first = first.min(f);
                last = last.max(l);
            } else {
                merged.push((f, l));
            }
        }
        merged.push((first, last));
        merged.sort_unstable();
        self.ranges = merged;
    }

    /// How much of `cidr` the set covers.
    pub fn coverage(&self, cidr: &Ipv4Cidr) -> Coverage {
        let (first, last) = (cidr.first(), cidr.last());
        let mut any = false;
        for &(f, l) in &self.ranges {
            if f <= first && last <= l {
                return Coverage::Full;
            }
            if f <= last && first <= l {
                any = true;
            }
        }
        if any {
            Coverage::Partial
        } else {
            Coverage::None
        }
    }

    /// How much of all the blocks the set covers: full only if each is fully covered. No
    /// blocks at all is `None`: nothing is known to be reachable.
    pub fn coverage_of_all(&self, cidrs: &[Ipv4Cidr]) -> Coverage {
        if cidrs.is_empty() {
            return Coverage::None;
        }
        let mut full = 0;
        let mut none = 0;
        for cidr in cidrs {
            match self.coverage(cidr) {
                Coverage::Full => full += 1,
                Coverage::None => none += 1,
                Coverage::Partial => {}
            }
        }
        if full == cidrs.len() {
            Coverage::Full
        } else if none == cidrs.len() {
            Coverage::None
        } else {
            Coverage::Partial
        }
    }

    /// Whether the set has any address outside the private and special-use blocks
    /// (RFC 1918, carrier-grade NAT, loopback, link-local): such an address could be on the
    /// internet.
    pub fn has_public_addresses(&self) -> bool {
        const NOT_PUBLIC: [(u32, u32); 6] = [
            (0x0A00_0000, 0x0AFF_FFFF), // 10.0.0.0/8
            (0x6440_0000, 0x647F_FFFF), // 100.64.0.0/10
            (0x7F00_0000, 0x7FFF_FFFF), // 127.0.0.0/8
            (0xA9FE_0000, 0xA9FE_FFFF), // 169.254.0.0/16
            (0xAC10_0000, 0xAC1F_FFFF), // 172.16.0.0/12
            (0xC0A8_0000, 0xC0A8_FFFF), // 192.168.0.0/16
        ];
        self.ranges.iter().any(|&(first, last)| {
            // Walk the range, skipping the non-public blocks it touches (they are sorted).
            let mut next = u64::from(first);
            for &(f, l) in &NOT_PUBLIC {
                if u64::from(l) < next {
                    continue;
                }
                if u64::from(f) > next {
                    return true;
                }
                next = u64::from(l) + 1;
                if next > u64::from(last) {
                    return false;
                }
            }
            next <= u64::from(last)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(text: &str) -> Ipv4Cidr {
        Ipv4Cidr::parse(text).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        assert_eq!(cidr("10.0.1.7/24").to_string(), "10.0.1.0/24");
        assert_eq!(cidr("0.0.0.0/0"), Ipv4Cidr::ANY);
        assert_eq!(cidr("255.255.255.255/32").last(), u32::MAX);
        assert_eq!(cidr(" 192.168.0.0/16 ").prefix_len(), 16);
    }

    #[test]
    fn malformed_cidrs_are_errors() {
        for text in [
            "",
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0.0/-1",
            "10.0.0/8",
            "10.0.0.0.0/8",
            "256.0.0.0/8",
            "10.0.0.x/8",
            "10.0.0.0/",
            "/8",
            "10.0.0.0/8/8",
            "+1.0.0.0/8",
            "1000.0.0.0/8",
            "::/0",
            "10..0.0/8",
            "10.0.0.0/0008",
        ] {
            let error = Ipv4Cidr::parse(text).unwrap_err();
            assert_eq!(error.text, text);
            assert!(error.to_string().contains("malformed IPv4 CIDR"), "{text}");
        }
    }

    #[test]
    fn containment_and_overlap() {
        let vpc = cidr("10.0.0.0/16");
        let subnet = cidr("10.0.1.0/24");
        let other = cidr("10.1.0.0/24");
        assert!(vpc.contains(&subnet) && !subnet.contains(&vpc));
        assert!(vpc.overlaps(&subnet) && subnet.overlaps(&vpc));
        assert!(!vpc.overlaps(&other));
        assert!(Ipv4Cidr::ANY.contains(&cidr("255.255.255.255/32")));
    }

    #[test]
    fn coverage_merges_ranges() {
        let mut set = RangeSet::new();
        set.insert(cidr("10.0.1.0/25"));
        assert_eq!(set.coverage(&cidr("10.0.1.0/24")), Coverage::Partial);
        set.insert(cidr("10.0.1.128/25"));
        assert_eq!(
            set.coverage(&cidr("10.0.1.0/24")),
            Coverage::Full,
            "two halves cover the whole"
        );
        assert_eq!(set.coverage(&cidr("10.0.2.0/24")), Coverage::None);
        assert_eq!(
            set.coverage_of_all(&[cidr("10.0.1.0/24"), cidr("10.0.2.0/24")]),
            Coverage::Partial
        );
        assert_eq!(set.coverage_of_all(&[cidr("10.0.1.0/26")]), Coverage::Full);
        assert_eq!(set.coverage_of_all(&[]), Coverage::None);

        let mut halves = RangeSet::new();
        halves.insert(cidr("128.0.0.0/1"));
        halves.insert(cidr("0.0.0.0/1"));
        assert_eq!(halves.coverage(&Ipv4Cidr::ANY), Coverage::Full);
        let mut top = RangeSet::new();
        top.insert(cidr("255.255.255.255/32"));
        top.insert(cidr("255.255.255.254/32"));
        assert_eq!(
            top.coverage(&cidr("255.255.255.254/31")),
            Coverage::Full,
            "no overflow at the top"
        );
    }

    #[test]
    fn public_addresses() {
        let mut private = RangeSet::new();
        private.insert(cidr("10.0.0.0/8"));
        private.insert(cidr("172.16.0.0/12"));
        private.insert(cidr("192.168.10.0/24"));
        assert!(!private.has_public_addresses());
        let mut wide = RangeSet::new();
        wide.insert(cidr("10.0.0.0/7"));
        assert!(wide.has_public_addresses(), "11.0.0.0/8 is public");
        let mut s3 = RangeSet::new();
        s3.insert(cidr("52.216.0.0/15"));
        assert!(s3.has_public_addresses());
        assert!(!RangeSet::new().has_public_addresses());
        let mut all = RangeSet::new();
        all.insert(Ipv4Cidr::ANY);
        assert!(all.has_public_addresses());
    }
}
