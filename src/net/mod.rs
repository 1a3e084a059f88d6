//! Can the task reach the registry? Reachability from a task's subnets to the services an
//! image pull needs (docs/network.md): route tables, NAT and internet gateways, VPC
//! endpoints, security groups and VPC DNS attributes. Pure functions over the `ec2` state; no
//! IO.
//!
//! Use: build one [`NetIndex`] per state (it precomputes everything that does not depend on
//! the task), then call [`analyze`] per task with its [`TaskNetwork`] and [`Needs`]. The
//! [`NetworkReport`] carries per subnet the internet verdict, per target the path from each
//! subnet, the findings (each listing every subnet it affects), the endpoint policies to
//! evaluate, and the unknowns with their reasons. [`help`] writes the AWS CLI command and
//! CloudFormation snippet that fix a finding.

pub mod analyze;
pub mod cidr;
pub mod document;
pub mod endpoints;
pub mod help;
pub mod index;
pub mod needs;
pub mod placement;
pub mod report;
pub mod routes;
pub mod security_groups;
pub mod services;
pub mod task;
pub mod task_needs;

pub use analyze::analyze;
pub use index::NetIndex;
pub use needs::{Needs, Request, ServiceKey, ServiceNeed};
pub use report::{
    AffectedSubnet, EgressDestination, EndpointPolicy, EndpointPolicyCheck, Finding, InternetPath,
    InternetVerdict, NetworkReport, Path, Problem, Subject, SubnetReport, Target, TargetReport,
    UnknownItem,
};
pub use services::ServiceKind;
pub use task::{AssignPublicIp, LaunchType, OsFamily, PublicIp, TaskNetwork};
