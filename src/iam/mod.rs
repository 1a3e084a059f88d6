//! Static IAM policy evaluation (docs/iam.md), used by the ROLE rules and for VPC endpoint
//! policies.
//!
//! Flow: parse each document once ([`parse_policy`] / [`parse_policy_str`], which precompile
//! every pattern), describe the request ([`Request`] with a [`Principal`] and a
//! [`RequestContext`] whose keys are known, known-absent or unknown), gather the policies that
//! apply ([`PolicySet`]: identity policies, optional permissions boundary, optional resource
//! side), and call [`evaluate`]. The [`Evaluation`] says Allowed / ExplicitDeny / ImplicitDeny /
//! Unknown, which layer decided ([`Reason`], [`Layers`]), the deciding statements by policy
//! name and index (callers map them to file positions), and for Unknown the condition keys and
//! unknown policies behind it. [`trust_allows`] checks a trust policy for a service principal
//! (docs/iam.md#trust-policy); [`endpoint_policy_allows`] checks a VPC endpoint policy.
//!
//! Three-valued throughout: nothing that cannot be decided from the inputs becomes an allow or
//! a deny. A policy whose document is not known ([`PolicyDoc::Unknown`]) may allow or deny
//! anything, so it can turn an outcome into Unknown but never into a denial.
//!
//! Not modelled: service control policies, resource control policies and session policies.
//! ECS-issued role sessions carry no session policy (docs/iam.md#the-decision); SCPs and RCPs
//! are outside the state format, and callers must say they were not evaluated.

mod condition;
mod evaluate;
mod matcher;
mod policy;
mod request;
mod variables;

pub use condition::{BaseOperator, Condition, Operator, SetOperator};
pub use evaluate::{
    Decision, Evaluation, GateEvaluation, Layer, Layers, PolicyDoc, PolicySet, Reason,
    ResourceLayer, ResourceSide, StatementRef, UnknownPolicy, endpoint_policy_allows, evaluate,
    trust_allows,
};
pub use policy::{Effect, Policy, PolicyError, Statement, parse_policy, parse_policy_str};
pub use request::{ContextValue, KeyState, Principal, Request, RequestContext};
