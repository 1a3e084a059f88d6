//! CloudFormation intrinsic functions → values, links or "unresolved".
//!
//! A value that depends on something we do not know (a parameter with no value, another
//! stack's export, the stack name) becomes `Unresolved` with the reason, and is never judged by
//! a rule. `Ref`/`Fn::GetAtt` to a resource of the same template become `ResourceRef` links
//! that the IAM and network layers follow.

use std::collections::HashMap;

use crate::parse::{Member, Node, NodeKind};
use crate::span::Span;

/// What resolution knows: the deployment account and region (from the command line or config)
/// and the template's own parameters, mappings, conditions and resources.
pub struct Resolver<'t> {
    pub account: Option<String>,
    pub region: Option<String>,
    parameters: HashMap<&'t str, &'t Node>,
    mappings: Option<&'t Node>,
    conditions: Option<&'t Node>,
    resources: HashMap<&'t str, &'t str>,
    /// Logical ID → literal `RepositoryName` of the template's ECR repositories.
    ecr_repository_names: HashMap<&'t str, &'t str>,
    /// Parameter defaults used so far: (default's span, `Ref`'s span, parameter name).
    parameter_uses: std::cell::RefCell<Vec<crate::model::ValueSource>>,
}

/// Bounds recursion through `Condition` references (which may be circular in a broken template).
const MAX_CONDITION_DEPTH: usize = 32;

impl<'t> Resolver<'t> {
    pub fn new(
        template: &'t Node,
        account: Option<String>,
        region: Option<String>,
    ) -> Resolver<'t> {
        let parameters = template
            .get("Parameters")
            .map(|p| {
                p.members()
                    .iter()
                    .map(|m| (m.key.as_str(), &m.value))
                    .collect()
            })
            .unwrap_or_default();
        let resources = template
            .get("Resources")
            .map(|r| {
                r.members()
                    .iter()
                    .map(|m| {
                        (
                            m.key.as_str(),
                            m.value.get("Type").and_then(Node::as_str).unwrap_or(""),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ecr_repository_names = template
            .get("Resources")
            .map(|r| {
                r.members()
                    .iter()
                    .filter(|m| {
                        m.value.get("Type").and_then(Node::as_str) == Some("AWS::ECR::Repository")
                    })
                    .filter_map(|m| {
                        let name = m.value.get("Properties")?.get("RepositoryName")?.as_str()?;
                        Some((m.key.as_str(), name))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Resolver {
            account,
            region,
            parameters,
            mappings: template.get("Mappings"),
            conditions: template.get("Conditions"),
            resources,
            ecr_repository_names,
            parameter_uses: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The parameter defaults used since the last call (for the value sources of what was just
    /// resolved).
    pub fn take_parameter_uses(&self) -> Vec<crate::model::ValueSource> {
        std::mem::take(&mut *self.parameter_uses.borrow_mut())
    }

    pub fn resource_type(&self, id: &str) -> Option<&'t str> {
        self.resources.get(id).copied()
    }

    /// Resolves a property value. `None` means `Ref: AWS::NoValue`: the property is absent.
    pub fn resolve(&self, node: &Node) -> Option<Node> {
        match &node.kind {
            NodeKind::Object(members) if members.len() == 1 && is_intrinsic(&members[0].key) => {
                self.intrinsic(&members[0].key, &members[0].value, node.span)
            }
            NodeKind::Object(members) => {
                let members = members
                    .iter()
                    .filter_map(|m| {
                        let value = self.resolve(&m.value)?;
                        Some(Member {
                            key: m.key.clone(),
                            key_span: m.key_span,
                            value,
                        })
                    })
                    .collect();
                Some(Node::new(NodeKind::Object(members), node.span))
            }
            NodeKind::Array(items) => {
                let items = items.iter().filter_map(|n| self.resolve(n)).collect();
                Some(Node::new(NodeKind::Array(items), node.span))
            }
            _ => Some(node.clone()),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Node, span: Span) -> Option<Node> {
        let unresolved = |why: String| Some(Node::new(NodeKind::Unresolved(why), span));
        match name {
            "Ref" => match arg.as_str() {
                Some(target) => self.reference(target, span),
                None => unresolved("`Ref` needs the name of a parameter or resource".into()),
            },
            "Fn::GetAtt" => {
                let (id, attribute) = match &arg.kind {
                    NodeKind::String(s) => match s.split_once('.') {
                        Some((a, b)) => (a.to_string(), b.to_string()),
                        None => (s.clone(), String::new()),
                    },
                    NodeKind::Array(items) if items.len() == 2 => {
                        let attr = self
                            .resolve(&items[1])
                            .and_then(|n| n.as_str().map(str::to_string));
                        match (items[0].as_str(), attr) {
                            (Some(id), Some(attr)) => (id.to_string(), attr),
                            _ => return unresolved("`Fn::GetAtt` with a computed argument".into()),
                        }
                    }
                    _ => return unresolved("malformed `Fn::GetAtt`".into()),
                };
                if self.resources.contains_key(id.as_str()) {
                    Some(self.attribute(&id, &attribute, span))
                } else {
                    unresolved(format!(
                        "`Fn::GetAtt` of `{id}`, which is not a resource of this template"
                    ))
                }
            }
            "Fn::Sub" => self.sub(arg, span),
            "Fn::Join" => self.join(arg, span),
            "Fn::Select" => self.select(arg, span),
            "Fn::Split" => self.split(arg, span),
            "Fn::FindInMap" => self.find_in_map(arg, span),
            "Fn::If" => self.if_(arg, span),
            "Fn::ImportValue" => {
                unresolved("imported from another stack (`Fn::ImportValue`)".into())
            }
            "Fn::GetAZs" => unresolved("the region's availability zones (`Fn::GetAZs`)".into()),
            other => unresolved(format!("computed by `{other}`")),
        }
    }

    fn reference(&self, target: &str, span: Span) -> Option<Node> {
        let string = |s: String| Some(Node::new(NodeKind::String(s), span));
        let unresolved = |why: String| Some(Node::new(NodeKind::Unresolved(why), span));
        match target {
            "AWS::NoValue" => None,
            "AWS::Region" => match &self.region {
                Some(r) => string(r.clone()),
                None => unresolved(
                    "`AWS::Region` (the deployment region is not known: pass --region)".into(),
                ),
            },
            "AWS::AccountId" => match &self.account {
                Some(a) => string(a.clone()),
                None => unresolved(
                    "`AWS::AccountId` (the deployment account is not known: pass --account)".into(),
                ),
            },
            "AWS::Partition" => match &self.region {
                Some(r) => string(partition_of_region(r).to_string()),
                None => unresolved(
                    "`AWS::Partition` (the deployment region is not known: pass --region)".into(),
                ),
            },
            "AWS::URLSuffix" => match &self.region {
                Some(r) if r.starts_with("cn-") => string("amazonaws.com.cn".into()),
                Some(_) => string("amazonaws.com".into()),
                None => unresolved(
                    "`AWS::URLSuffix` (the deployment region is not known: pass --region)".into(),
                ),
            },
            _ if target.starts_with("AWS::") => {
                unresolved(format!("`{target}` is known only at deploy time"))
            }
            _ => {
                if let Some(param) = self.parameters.get(target) {
                    return Some(self.parameter_value(target, param, span));
                }
                if let Some(name) = self.ecr_repository_name(target) {
                    // `Ref` of a repository is its name.
                    return Some(Node::new(NodeKind::String(name.to_string()), span));
                }
                if self.resources.contains_key(target) {
                    return Some(Node::new(
                        NodeKind::ResourceRef {
                            id: target.to_string(),
                            attribute: None,
                        },
                        span,
                    ));
                }
                unresolved(format!(
                    "`Ref` to `{target}`, which this template does not define"
                ))
            }
        }
    }

    /// `Fn::GetAtt` of a resource of this template: a link, except for the attributes of an ECR
    /// repository with a literal name, which are known strings once the account and region are.
    fn attribute(&self, id: &str, attribute: &str, span: Span) -> Node {
        let link = || {
            Node::new(
                NodeKind::ResourceRef {
                    id: id.to_string(),
                    attribute: Some(attribute.to_string()),
                },
                span,
            )
        };
        let (Some(name), Some(account), Some(region)) =
            (self.ecr_repository_name(id), &self.account, &self.region)
        else {
            return link();
        };
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        let value = match attribute {
            "RepositoryUri" => format!("{account}.dkr.ecr.{region}.{suffix}/{name}"),
            "Arn" => format!(
                "arn:{}:ecr:{region}:{account}:repository/{name}",
                partition_of_region(region)
            ),
            _ => return link(),
        };
        Node::new(NodeKind::String(value), span)
    }

    /// The literal `RepositoryName` of an `AWS::ECR::Repository` of this template.
    fn ecr_repository_name(&self, id: &str) -> Option<&'t str> {
        self.ecr_repository_names.get(id).copied()
    }

    /// A parameter's value is its default (the value a deploy without overrides uses).
    fn parameter_value(&self, name: &str, param: &Node, span: Span) -> Node {
        let kind = param.get("Type").and_then(Node::as_str).unwrap_or("String");
        if kind.starts_with("AWS::SSM::Parameter::Value") {
            return Node::new(
                NodeKind::Unresolved(format!(
                    "parameter `{name}` is read from SSM at deploy time"
                )),
                span,
            );
        }
        let Some(default) = param.get("Default") else {
            return Node::new(
                NodeKind::Unresolved(format!("parameter `{name}` has no default value")),
                span,
            );
        };
        self.parameter_uses
            .borrow_mut()
            .push(crate::model::ValueSource {
                value: default.span,
                used_at: span,
                parameter: name.to_string(),
            });
        let is_list = kind == "CommaDelimitedList" || kind.starts_with("List<");
        match (&default.kind, is_list) {
            (NodeKind::String(s), true) => {
                let items = s
                    .split(',')
                    .map(|p| Node::new(NodeKind::String(p.trim().to_string()), default.span))
                    .collect();
                Node::new(NodeKind::Array(items), default.span)
            }
            _ => default.clone(),
        }
    }

    fn sub(&self, arg: &Node, span: Span) -> Option<Node> {
        let (template, vars) = match &arg.kind {
            NodeKind::String(s) => (s.as_str(), None),
            NodeKind::Array(items) if items.len() == 2 => match items[0].as_str() {
                Some(s) => (s, Some(&items[1])),
                None => return unresolved_at(span, "malformed `Fn::Sub`"),
            },
            _ => return unresolved_at(span, "malformed `Fn::Sub`"),
        };
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Literal}` is the escape for a literal `${Literal}`.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return unresolved_at(span, "malformed `Fn::Sub`: `${` without `}`");
            };
            let name = after[..end].trim();
            let value = match vars.and_then(|v| v.get(name)) {
                Some(local) => self.resolve(local),
                None if name.contains('.') => {
                    let (id, attr) = name.split_once('.').unwrap_or((name, ""));
                    Some(self.attribute(id, attr, span))
                }
                None => self.reference(name, span),
            };
            match value.as_ref().map(|v| &v.kind) {
                Some(NodeKind::String(s)) | Some(NodeKind::Number(s)) => out.push_str(s),
                Some(NodeKind::Unresolved(why)) => return unresolved_at(span, why),
                Some(NodeKind::ResourceRef { id, .. }) => {
                    return unresolved_at(
                        span,
                        &format!("`Fn::Sub` uses the resource `{id}`, known only at deploy time"),
                    );
                }
                _ => {
                    return unresolved_at(
                        span,
                        &format!("`Fn::Sub` variable `{name}` is not a string"),
                    );
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(Node::new(NodeKind::String(out), span))
    }

    fn join(&self, arg: &Node, span: Span) -> Option<Node> {
        let items = arg.items();
        let (Some(delimiter), Some(list)) = (items.first().and_then(Node::as_str), items.get(1))
        else {
            return unresolved_at(span, "malformed `Fn::Join`");
        };
        let list = self.resolve(list)?;
        let mut parts = Vec::new();
        for item in list.items() {
            match &item.kind {
                NodeKind::String(s) | NodeKind::Number(s) => parts.push(s.clone()),
                NodeKind::Unresolved(why) => return unresolved_at(span, why),
                NodeKind::ResourceRef { id, .. } => {
                    return unresolved_at(
                        span,
                        &format!("`Fn::Join` uses the resource `{id}`, known only at deploy time"),
                    );
                }
                _ => return unresolved_at(span, "`Fn::Join` of a value that is not a string"),
            }
        }
        match &list.kind {
            NodeKind::Array(_) => Some(Node::new(NodeKind::String(parts.join(delimiter)), span)),
            NodeKind::Unresolved(why) => unresolved_at(span, why),
            _ => unresolved_at(span, "`Fn::Join` of a value that is not a list"),
        }
    }

    fn select(&self, arg: &Node, span: Span) -> Option<Node> {
        let items = arg.items();
        let (Some(index), Some(list)) = (items.first().and_then(|i| self.resolve(i)), items.get(1))
        else {
            return unresolved_at(span, "malformed `Fn::Select`");
        };
        let Some(index) = index.scalar_text().and_then(|t| t.parse::<usize>().ok()) else {
            return unresolved_at(span, "`Fn::Select` with a computed index");
        };
        let list = self.resolve(list)?;
        match &list.kind {
            NodeKind::Array(values) => match values.get(index) {
                Some(v) => Some(v.clone()),
                None => unresolved_at(span, "`Fn::Select` index out of range"),
            },
            NodeKind::Unresolved(why) => unresolved_at(span, why),
            _ => unresolved_at(span, "`Fn::Select` from a value that is not a list"),
        }
    }

    fn split(&self, arg: &Node, span: Span) -> Option<Node> {
        let items = arg.items();
        let (Some(delimiter), Some(source)) = (items.first().and_then(Node::as_str), items.get(1))
        else {
            return unresolved_at(span, "malformed `Fn::Split`");
        };
        let source = self.resolve(source)?;
        match &source.kind {
            NodeKind::String(s) => {
                let parts = s
                    .split(delimiter)
                    .map(|p| Node::new(NodeKind::String(p.to_string()), span))
                    .collect();
                Some(Node::new(NodeKind::Array(parts), span))
            }
            NodeKind::Unresolved(why) => unresolved_at(span, why),
            _ => unresolved_at(span, "`Fn::Split` of a value known only at deploy time"),
        }
    }

    fn find_in_map(&self, arg: &Node, span: Span) -> Option<Node> {
        let items = arg.items();
        if items.len() < 3 {
            return unresolved_at(span, "malformed `Fn::FindInMap`");
        }
        let mut keys = Vec::new();
        for item in &items[..3] {
            match self.resolve(item).map(|n| n.kind.clone()) {
                Some(NodeKind::String(s)) | Some(NodeKind::Number(s)) => keys.push(s),
                Some(NodeKind::Unresolved(why)) => return unresolved_at(span, &why),
                _ => {
                    return unresolved_at(
                        span,
                        "`Fn::FindInMap` with a key known only at deploy time",
                    );
                }
            }
        }
        let found = self
            .mappings
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match found {
            Some(value) => self.resolve(value),
            None => unresolved_at(
                span,
                &format!(
                    "`Fn::FindInMap` entry {}/{}/{} is not in the template",
                    keys[0], keys[1], keys[2]
                ),
            ),
        }
    }

    fn if_(&self, arg: &Node, span: Span) -> Option<Node> {
        let items = arg.items();
        let (Some(name), Some(yes), Some(no)) = (
            items.first().and_then(Node::as_str),
            items.get(1),
            items.get(2),
        ) else {
            return unresolved_at(span, "malformed `Fn::If`");
        };
        match self.condition(name, 0) {
            Some(true) => self.resolve(yes),
            Some(false) => self.resolve(no),
            None => {
                let (a, b) = (self.resolve(yes), self.resolve(no));
                match (&a, &b) {
                    (Some(x), Some(y)) if x.kind == y.kind => a,
                    _ => unresolved_at(span, &format!("depends on the condition `{name}`")),
                }
            }
        }
    }

    /// Evaluates a named condition when every input is known.
    /// The value of a named condition, when it can be evaluated.
    pub fn condition_value(&self, name: &str) -> Option<bool> {
        self.condition(name, 0)
    }

    fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        let node = self.conditions?.get(name)?;
        self.condition_expr(node, depth + 1)
    }

    fn condition_expr(&self, node: &Node, depth: usize) -> Option<bool> {
        if depth > MAX_CONDITION_DEPTH {
            return None;
        }
        let member = node.members().first()?;
        let args = member.value.items();
        match member.key.as_str() {
            "Condition" => self.condition(member.value.as_str()?, depth),
            "Fn::Equals" if args.len() == 2 => {
                let a = self.resolve(&args[0])?;
                let b = self.resolve(&args[1])?;
                Some(a.scalar_text()? == b.scalar_text()?)
            }
            "Fn::Not" if args.len() == 1 => self.condition_expr(&args[0], depth + 1).map(|b| !b),
            "Fn::And" => args.iter().try_fold(true, |acc, a| {
                Some(acc & self.condition_expr(a, depth + 1)?)
            }),
            "Fn::Or" => args.iter().try_fold(false, |acc, a| {
                Some(acc | self.condition_expr(a, depth + 1)?)
            }),
            _ => None,
        }
    }
}

fn unresolved_at(span: Span, why: &str) -> Option<Node> {
    Some(Node::new(NodeKind::Unresolved(why.to_string()), span))
}

fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

/// The partition a region belongs to.
pub fn partition_of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else if region.starts_with("us-isof-") {
        "aws-iso-f"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn resolve_in(
        template: &str,
        path: &[&str],
        account: Option<&str>,
        region: Option<&str>,
    ) -> Option<Node> {
        let root = yaml::parse(template).unwrap();
        let r = Resolver::new(
            &root,
            account.map(str::to_string),
            region.map(str::to_string),
        );
        let mut node = &root;
        for p in path {
            node = node.get(p).unwrap();
        }
        r.resolve(node)
    }

    const TEMPLATE: &str = r#"
Parameters:
  Image: {Type: String, Default: "nginx:1.25"}
  NoDefault: {Type: String}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-a, subnet-b"}
  Env: {Type: String, Default: prod}
Mappings:
  Regions: {us-east-1: {Repo: "111122223333.dkr.ecr.us-east-1.amazonaws.com/app"}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Role: {Type: AWS::IAM::Role}
  Repo: {Type: AWS::ECR::Repository, Properties: {RepositoryName: shop/web}}
  Unnamed: {Type: AWS::ECR::Repository}
  Td:
    Type: AWS::ECS::TaskDefinition
    Properties:
      A: !Ref Image
      B: !Ref NoDefault
      C: !Sub "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/app:${Image}"
      D: !GetAtt Role.Arn
      E: !Ref AWS::NoValue
      F: !Join ["", [!Ref "AWS::Region", "-x"]]
      G: !Select [1, !Ref Subnets]
      H: !FindInMap [Regions, !Ref "AWS::Region", Repo]
      I: !If [IsProd, big, small]
      J: !ImportValue Other
      K: !Sub ["${X}-${!Y}", {X: !Ref Env}]
      L: !Sub "${Role.Arn}"
      M: !Sub "${Repo.RepositoryUri}:1.0"
      N: !Ref Repo
      O: !GetAtt Unnamed.RepositoryUri
"#;

    fn prop(name: &str, account: Option<&str>, region: Option<&str>) -> Option<Node> {
        resolve_in(
            TEMPLATE,
            &["Resources", "Td", "Properties", name],
            account,
            region,
        )
    }

    #[test]
    fn resolves_what_is_known() {
        let (a, r) = (Some("111122223333"), Some("us-east-1"));
        assert_eq!(prop("A", a, r).unwrap().as_str(), Some("nginx:1.25"));
        assert_eq!(
            prop("C", a, r).unwrap().as_str(),
            Some("111122223333.dkr.ecr.us-east-1.amazonaws.com/app:nginx:1.25")
        );
        assert_eq!(prop("F", a, r).unwrap().as_str(), Some("us-east-1-x"));
        assert_eq!(prop("G", a, r).unwrap().as_str(), Some("subnet-b"));
        assert_eq!(
            prop("H", a, r).unwrap().as_str(),
            Some("111122223333.dkr.ecr.us-east-1.amazonaws.com/app")
        );
        assert_eq!(prop("I", a, r).unwrap().as_str(), Some("big"));
        assert_eq!(prop("K", a, r).unwrap().as_str(), Some("prod-${Y}"));
        assert!(prop("E", a, r).is_none());
    }

    #[test]
    fn unknowns_stay_unresolved_with_a_reason() {
        let reason = |n: Node| match n.kind {
            NodeKind::Unresolved(why) => why,
            other => panic!("expected unresolved, got {other:?}"),
        };
        assert!(reason(prop("B", None, None).unwrap()).contains("no default"));
        assert!(reason(prop("C", None, Some("us-east-1")).unwrap()).contains("--account"));
        assert!(reason(prop("F", None, None).unwrap()).contains("--region"));
        assert!(reason(prop("J", None, None).unwrap()).contains("Fn::ImportValue"));
        assert!(reason(prop("H", None, None).unwrap()).contains("--region"));
        assert!(reason(prop("L", None, None).unwrap()).contains("Role"));
    }

    #[test]
    fn ecr_repositories_with_a_literal_name_resolve() {
        let (a, r) = (Some("111122223333"), Some("us-east-1"));
        assert_eq!(
            prop("M", a, r).unwrap().as_str(),
            Some("111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.0")
        );
        assert_eq!(prop("N", None, None).unwrap().as_str(), Some("shop/web"));
        assert!(matches!(
            prop("M", None, r).unwrap().kind,
            NodeKind::Unresolved(_)
        ));
        assert!(matches!(
            prop("O", a, r).unwrap().kind,
            NodeKind::ResourceRef { .. }
        ));
    }

    #[test]
    fn resource_references_are_links() {
        let d = prop("D", None, None).unwrap();
        assert_eq!(
            d.kind,
            NodeKind::ResourceRef {
                id: "Role".into(),
                attribute: Some("Arn".into())
            }
        );
    }
}
