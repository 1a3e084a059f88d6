//! Security group rules on TCP 443: does an endpoint accept the task, and may the task send to
//! the endpoint, the S3 prefix list or the internet (docs/network.md#security-groups).
//!
//! Rules of a set of groups add up (a security group only allows), so the peers of each group
//! are collected once ([`HttpsPeers`]) and merged for the groups an ENI has.

use crate::base::known::Lookup;
use crate::net::cidr::{Coverage, Ipv4Cidr, RangeSet};
use crate::state::ec2::{Ec2Index, IpPermission, SecurityGroup};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

/// A prefix list a rule names, and whether its CIDRs are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixListPeer {
    pub id: String,
    /// Why its CIDRs are not in `ranges`, when they are not.
    pub unresolved: Option<String>,
}

/// Everything the rules of one direction let through on TCP 443.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpsPeers {
    /// IPv4 CIDRs, plus the CIDRs of the prefix lists whose entries are known.
    pub ranges: RangeSet,
    /// Referenced security groups (`UserIdGroupPairs[].GroupId`).
    pub groups: Vec<String>,
    pub prefix_lists: Vec<PrefixListPeer>,
    /// Rules or groups that could not be read: any of them might let 443 through.
    pub unreadable: Vec<String>,
}

/// The answer of a security group check.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    Allowed,
    /// Only part of the addresses are allowed (some tasks or some endpoint ENIs fail).
    Partial,
    Denied,
    Unknown(String),
}

/// Whether a rule lets TCP port 443 through: `Err` when it cannot be read.
pub fn allows_tcp_443(permission: &IpPermission) -> Result<bool, String> {
    match (known_tcp_443(permission), &permission.unresolved) {
        (Ok(false), _) => Ok(false),
        (_, Some(why)) => Err(why.clone()),
        (answer, None) => answer,
    }
}

fn known_tcp_443(permission: &IpPermission) -> Result<bool, String> {
    let Some(protocol) = permission.ip_protocol.as_deref() else {
        return Err("a rule has no IpProtocol".into());
    };
    let protocol = protocol.trim();
    if protocol == "-1" {
        return Ok(true);
    }
    if !(protocol.eq_ignore_ascii_case("tcp") || protocol == "6") {
        return Ok(false);
    }
    match (permission.from_port, permission.to_port) {
        (Some(from), Some(to)) => Ok(from <= 443 && 443 <= to),
        _ => Err("a TCP rule has no FromPort/ToPort".into()),
    }
}

impl HttpsPeers {
    /// The peers one group allows in one direction; prefix lists are resolved through the index.
    pub fn of_group(index: &Ec2Index, group: &SecurityGroup, direction: Direction) -> HttpsPeers {
        let group_id = group
            .group_id
            .as_deref()
            .unwrap_or("(a security group without GroupId)");
        let (permissions, key) = match direction {
            Direction::Ingress => (&group.ip_permissions, "IpPermissions"),
            Direction::Egress => (&group.ip_permissions_egress, "IpPermissionsEgress"),
        };
        let mut peers = HttpsPeers::default();
        let Some(permissions) = permissions else {
            peers
                .unreadable
                .push(format!("{group_id} has no {key} in the state"));
            return peers;
        };
        for permission in permissions {
            match allows_tcp_443(permission) {
                Ok(true) => peers.add_rule_peers(index, group_id, permission),
                Ok(false) => {}
                Err(problem) => peers.unreadable.push(format!("{group_id}: {problem}")),
            }
        }
        peers
    }

    fn add_rule_peers(&mut self, index: &Ec2Index, group_id: &str, permission: &IpPermission) {
        for range in &permission.ip_ranges {
            match range.cidr_ip.as_deref().map(Ipv4Cidr::parse) {
                Some(Ok(cidr)) => self.ranges.insert(cidr),
                Some(Err(error)) => self.unreadable.push(format!("{group_id}: {error}")),
                None => self
                    .unreadable
                    .push(format!("{group_id}: an IpRanges item has no CidrIp")),
            }
        }
        for pair in &permission.user_id_group_pairs {
            match &pair.group_id {
                Some(id) => {
                    if !self.groups.contains(id) {
                        self.groups.push(id.clone());
                    }
                }
                None => self
                    .unreadable
                    .push(format!("{group_id}: a referenced group has no GroupId")),
            }
        }
        for reference in &permission.prefix_list_ids {
            let Some(id) = reference.prefix_list_id.as_deref() else {
                self.unreadable.push(format!(
                    "{group_id}: a PrefixListIds item has no PrefixListId"
                ));
                continue;
            };
            let unresolved = self.add_prefix_list_cidrs(index, id);
            self.prefix_lists.push(PrefixListPeer {
                id: id.to_string(),
                unresolved,
            });
        }
    }

    /// Adds a prefix list's CIDRs to `ranges`; returns why it could not, if it could not.
    fn add_prefix_list_cidrs(&mut self, index: &Ec2Index, id: &str) -> Option<String> {
        let list = match index.prefix_list(id) {
            Lookup::Found(list) => list,
            Lookup::Absent => return Some(format!("prefix list {id} is not in ec2.PrefixLists")),
            Lookup::Unknown(reason) => return Some(format!("prefix list {id}: {reason}")),
        };
        let Some(cidrs) = list.known_cidrs() else {
            return Some(format!(
                "the entries of prefix list {id} are not in the state"
            ));
        };
        let mut parsed = Vec::with_capacity(cidrs.len());
        for text in cidrs {
            match Ipv4Cidr::parse(text) {
                Ok(cidr) => parsed.push(cidr),
                Err(error) => return Some(format!("prefix list {id}: {error}")),
            }
        }
        for cidr in parsed {
            self.ranges.insert(cidr);
        }
        None
    }

    /// The union of several groups' peers.
    pub fn merge<'a>(all: impl IntoIterator<Item = &'a HttpsPeers>) -> HttpsPeers {
        let mut merged = HttpsPeers::default();
        for peers in all {
            merged.ranges.extend(&peers.ranges);
            for group in &peers.groups {
                if !merged.groups.contains(group) {
                    merged.groups.push(group.clone());
                }
            }
            for list in &peers.prefix_lists {
                if !merged.prefix_lists.contains(list) {
                    merged.prefix_lists.push(list.clone());
                }
            }
            for problem in &peers.unreadable {
                if !merged.unreadable.contains(problem) {
                    merged.unreadable.push(problem.clone());
                }
            }
        }
        merged
    }

    /// Reasons that stop a CIDR-based answer from being certain.
    fn cidr_unknowns(&self) -> Vec<String> {
        let mut reasons = self.unreadable.clone();
        reasons.extend(
            self.prefix_lists
                .iter()
                .filter_map(|p| p.unresolved.clone()),
        );
        reasons
    }

    fn decide(&self, group_match: bool, coverage: Result<Coverage, String>) -> Access {
        if group_match {
            return Access::Allowed;
        }
        let mut unknowns = self.cidr_unknowns();
        let coverage = match coverage {
            Ok(Coverage::Full) => return Access::Allowed,
            Ok(coverage) => coverage,
            // With no CIDR rule at all, nothing is covered whatever the target's CIDRs are.
            Err(_) if self.ranges.is_empty() => Coverage::None,
            Err(reason) => {
                unknowns.push(reason);
                Coverage::None
            }
        };
        if !unknowns.is_empty() {
            Access::Unknown(unknowns.join("; "))
        } else if coverage == Coverage::Partial {
            Access::Partial
        } else {
            Access::Denied
        }
    }

    /// Ingress: does a source with one of `source_groups`, at an address in `source_cidr`, get in?
    pub fn admits(
        &self,
        source_groups: &[String],
        source_cidr: Result<Ipv4Cidr, String>,
    ) -> Access {
        let group_match = self.groups.iter().any(|g| source_groups.contains(g));
        self.decide(
            group_match,
            source_cidr.map(|cidr| self.ranges.coverage(&cidr)),
        )
    }

    /// Egress to an interface endpoint: its security groups, or CIDRs covering all its subnets.
    pub fn reaches_endpoint(
        &self,
        endpoint_groups: &[String],
        endpoint_cidrs: Result<Vec<Ipv4Cidr>, String>,
    ) -> Access {
        let group_match = self.groups.iter().any(|g| endpoint_groups.contains(g));
        if self.ranges.coverage(&Ipv4Cidr::ANY) == Coverage::Full {
            return Access::Allowed;
        }
        self.decide(
            group_match,
            endpoint_cidrs.map(|cidrs| self.ranges.coverage_of_all(&cidrs)),
        )
    }

    /// Egress to S3 through a gateway endpoint: the S3 prefix list, or CIDRs covering it.
    pub fn reaches_prefix_list(
        &self,
        list_ids: &[String],
        list_cidrs: Result<Vec<Ipv4Cidr>, String>,
    ) -> Access {
        let list_match = self.prefix_lists.iter().any(|p| list_ids.contains(&p.id));
        if list_match || self.ranges.coverage(&Ipv4Cidr::ANY) == Coverage::Full {
            return Access::Allowed;
        }
        self.decide(
            false,
            list_cidrs.map(|cidrs| self.ranges.coverage_of_all(&cidrs)),
        )
    }

    /// Egress to the internet: only `0.0.0.0/0` (or rules adding up to it) is certain. Rules to
    /// some public addresses or to prefix lists might or might not include the registry; rules
    /// to groups and private addresses only cannot.
    pub fn reaches_internet(&self) -> Access {
        if self.ranges.coverage(&Ipv4Cidr::ANY) == Coverage::Full {
            return Access::Allowed;
        }
        let unknowns = self.cidr_unknowns();
        if !unknowns.is_empty() {
            return Access::Unknown(unknowns.join("; "));
        }
        if self.ranges.has_public_addresses() {
            return Access::Unknown(
                "outbound TCP 443 is allowed only to some public addresses; whether the registry is among them cannot be told".into(),
            );
        }
        Access::Denied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ec2::Ec2State;

    fn state() -> Ec2State {
        serde_json::from_str(
            r#"{
          "SecurityGroups": [
            {"GroupId": "sg-endpoint", "VpcId": "vpc-1",
             "IpPermissions": [
               {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": "sg-task"}]},
               {"IpProtocol": "tcp", "FromPort": 400, "ToPort": 500, "IpRanges": [{"CidrIp": "10.0.1.0/25"}]},
               {"IpProtocol": "6", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.1.128/25"}]},
               {"IpProtocol": "udp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.2.0/24"}]},
               {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.3.0/24"}]}
             ],
             "IpPermissionsEgress": []},
            {"GroupId": "sg-all", "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}],
             "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
            {"GroupId": "sg-pl", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                    "PrefixListIds": [{"PrefixListId": "pl-corp"}]}],
             "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                      "PrefixListIds": [{"PrefixListId": "pl-s3"}]}]},
            {"GroupId": "sg-bad", "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                     "IpRanges": [{"CidrIp": "10.0.1.0/33"}]}],
             "IpPermissionsEgress": [{"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]},
            {"GroupId": "sg-private-egress", "IpPermissions": [],
             "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
                                      "UserIdGroupPairs": [{"GroupId": "sg-endpoint"}]}]},
            {"GroupId": "sg-some-public", "IpPermissionsEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                      "IpRanges": [{"CidrIp": "52.0.0.0/8"}]}]}
          ],
          "PrefixLists": [
            {"PrefixListId": "pl-corp", "PrefixListName": "corp", "Entries": [{"Cidr": "10.0.0.0/16"}]},
            {"PrefixListId": "pl-s3", "PrefixListName": "com.amazonaws.us-east-1.s3"},
            {"PrefixListId": "pl-broken", "PrefixListName": "broken", "Entries": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "nonsense"}]}
          ]
        }"#,
        )
        .unwrap()
    }

    fn peers(state: &Ec2State, group: &str, direction: Direction) -> HttpsPeers {
        let index = Ec2Index::new(state);
        let group = index.security_group(group).found().unwrap();
        HttpsPeers::of_group(&index, group, direction)
    }

    fn cidr(text: &str) -> Result<Ipv4Cidr, String> {
        Ipv4Cidr::parse(text).map_err(|e| e.to_string())
    }

    #[test]
    fn protocol_and_port_forms() {
        let rule = |p: &str, from: Option<i64>, to: Option<i64>| IpPermission {
            ip_protocol: Some(p.into()),
            from_port: from,
            to_port: to,
            ..IpPermission::default()
        };
        assert_eq!(allows_tcp_443(&rule("-1", None, None)), Ok(true));
        assert_eq!(allows_tcp_443(&rule("tcp", Some(443), Some(443))), Ok(true));
        assert_eq!(allows_tcp_443(&rule("TCP", Some(0), Some(65535))), Ok(true));
        assert_eq!(
            allows_tcp_443(&rule("6", Some(1024), Some(65535))),
            Ok(false)
        );
        assert_eq!(
            allows_tcp_443(&rule("udp", Some(443), Some(443))),
            Ok(false)
        );
        assert_eq!(allows_tcp_443(&rule("icmp", Some(-1), Some(-1))), Ok(false));
        assert!(allows_tcp_443(&rule("tcp", None, None)).is_err());
        assert!(allows_tcp_443(&IpPermission::default()).is_err());
    }

    #[test]
    fn ingress_by_group_or_cidr() {
        let state = state();
        let endpoint = peers(&state, "sg-endpoint", Direction::Ingress);
        assert_eq!(endpoint.groups, ["sg-task"]);
        assert_eq!(
            endpoint.admits(&["sg-task".into()], cidr("192.168.0.0/24")),
            Access::Allowed
        );
        // Two /25 rules (one tcp 400-500, one protocol 6) add up to the /24.
        assert_eq!(
            endpoint.admits(&["sg-other".into()], cidr("10.0.1.0/24")),
            Access::Allowed
        );
        assert_eq!(
            endpoint.admits(&["sg-other".into()], cidr("10.0.0.0/23")),
            Access::Partial
        );
        // udp 443 and tcp 80 do not count.
        assert_eq!(
            endpoint.admits(&["sg-other".into()], cidr("10.0.2.0/24")),
            Access::Denied
        );
        assert_eq!(
            endpoint.admits(&["sg-other".into()], cidr("10.0.3.0/24")),
            Access::Denied
        );
        assert!(matches!(
            endpoint.admits(&[], Err("subnet CIDR unknown".into())),
            Access::Unknown(_)
        ));
        let no_cidr_rules = HttpsPeers {
            groups: vec!["sg-lb".into()],
            ..HttpsPeers::default()
        };
        assert_eq!(
            no_cidr_rules.admits(&[], Err("subnet CIDR unknown".into())),
            Access::Denied
        );
        let all = peers(&state, "sg-all", Direction::Ingress);
        assert_eq!(
            all.admits(&[], cidr("10.0.200.0/24")),
            Access::Allowed,
            "protocol -1 from the VPC CIDR"
        );
    }

    #[test]
    fn prefix_list_sources() {
        let state = state();
        let pl = peers(&state, "sg-pl", Direction::Ingress);
        assert_eq!(
            pl.admits(&[], cidr("10.0.5.0/24")),
            Access::Allowed,
            "entries known"
        );
        let egress = peers(&state, "sg-pl", Direction::Egress);
        assert!(
            matches!(egress.admits(&[], cidr("10.0.5.0/24")), Access::Unknown(_)),
            "entries unknown"
        );
        assert_eq!(
            egress.reaches_prefix_list(&["pl-s3".into()], Err("no entries".into())),
            Access::Allowed
        );
        assert!(matches!(egress.reaches_internet(), Access::Unknown(_)));
    }

    #[test]
    fn malformed_cidrs_and_prefix_lists_are_unknown() {
        let state = state();
        let bad = peers(&state, "sg-bad", Direction::Ingress);
        match bad.admits(&[], cidr("10.0.1.0/24")) {
            Access::Unknown(reason) => assert!(
                reason.contains("sg-bad") && reason.contains("10.0.1.0/33"),
                "{reason}"
            ),
            other => panic!("{other:?}"),
        }
        let bad_egress = peers(&state, "sg-bad", Direction::Egress);
        assert!(
            matches!(bad_egress.reaches_internet(), Access::Unknown(_)),
            "tcp without ports"
        );
        let index = Ec2Index::new(&state);
        let mut broken = HttpsPeers::default();
        let reason = broken.add_prefix_list_cidrs(&index, "pl-broken").unwrap();
        assert!(reason.contains("nonsense"), "{reason}");
        assert!(
            broken.ranges.is_empty(),
            "a list with a bad entry adds nothing"
        );
        assert!(
            broken
                .add_prefix_list_cidrs(&index, "pl-none")
                .unwrap()
                .contains("not in ec2.PrefixLists")
        );
    }

    #[test]
    fn egress_destinations() {
        let state = state();
        let all = peers(&state, "sg-all", Direction::Egress);
        assert_eq!(all.reaches_internet(), Access::Allowed);
        assert_eq!(
            all.reaches_endpoint(&[], Err("unknown".into())),
            Access::Allowed,
            "0.0.0.0/0 covers anything"
        );
        let private = peers(&state, "sg-private-egress", Direction::Egress);
        assert_eq!(private.reaches_internet(), Access::Denied);
        assert_eq!(
            private.reaches_endpoint(&["sg-endpoint".into()], Ok(vec![])),
            Access::Allowed
        );
        assert_eq!(
            private.reaches_endpoint(
                &["sg-x".into()],
                Ok(vec![
                    cidr("10.0.1.0/24").unwrap(),
                    cidr("10.0.2.0/24").unwrap()
                ])
            ),
            Access::Allowed
        );
        assert_eq!(
            private.reaches_endpoint(
                &["sg-x".into()],
                Ok(vec![
                    cidr("10.0.1.0/24").unwrap(),
                    cidr("172.16.0.0/24").unwrap()
                ])
            ),
            Access::Partial
        );
        assert_eq!(
            private.reaches_prefix_list(&["pl-s3".into()], Err("entries unknown".into())),
            Access::Unknown("entries unknown".into())
        );
        let none = peers(&state, "sg-endpoint", Direction::Egress);
        assert_eq!(none.reaches_internet(), Access::Denied);
        assert_eq!(
            none.reaches_prefix_list(&["pl-s3".into()], Ok(vec![])),
            Access::Denied
        );
        let some = peers(&state, "sg-some-public", Direction::Egress);
        assert!(matches!(some.reaches_internet(), Access::Unknown(_)));
        let merged = HttpsPeers::merge([&none, &all]);
        assert_eq!(merged.reaches_internet(), Access::Allowed, "groups add up");
    }

    #[test]
    fn ipv6_rules_do_not_count_for_an_ipv4_task() {
        let state: Ec2State = serde_json::from_str(
            r#"{"SecurityGroups": [{"GroupId": "sg-6", "IpPermissions": [],
                "IpPermissionsEgress": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}]}"#,
        )
        .unwrap();
        let p = peers(&state, "sg-6", Direction::Egress);
        assert_eq!(p.reaches_internet(), Access::Denied);
    }

    #[test]
    fn missing_rule_lists_are_unknown() {
        let state: Ec2State =
            serde_json::from_str(r#"{"SecurityGroups": [{"GroupId": "sg-1"}]}"#).unwrap();
        let p = peers(&state, "sg-1", Direction::Egress);
        assert!(
            matches!(p.reaches_internet(), Access::Unknown(r) if r.contains("IpPermissionsEgress"))
        );
    }
}
