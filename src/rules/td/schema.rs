//! What RegisterTaskDefinition accepts: field types and enum values of the ECS API
//! (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html,
//! API_ContainerDefinition.html). Only what TD001 checks is listed.

#[derive(Clone, Copy, Debug)]
pub enum Ty {
    Str,
    Int,
    Bool,
    Obj,
    /// An object whose values are all strings (`dockerLabels`, log `options`).
    StrMap,
    Arr(&'static Ty),
    Enum(&'static [&'static str]),
}

pub const NETWORK_MODES: &[&str] = &["bridge", "host", "awsvpc", "none"];
pub const COMPATIBILITIES: &[&str] = &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];
pub const LOG_DRIVERS: &[&str] = &[
    "json-file",
    "syslog",
    "journald",
    "gelf",
    "fluentd",
    "awslogs",
    "splunk",
    "awsfirelens",
];
pub const CPU_ARCHITECTURES: &[&str] = &["X86_64", "ARM64"];
pub const OS_FAMILIES: &[&str] = &[
    "LINUX",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_20H2_CORE",
];

const STRINGS: Ty = Ty::Str;
const OBJECTS: Ty = Ty::Obj;
const COMPAT: Ty = Ty::Enum(COMPATIBILITIES);

/// Task-level fields of the register shape, with their types.
pub const TASK_FIELDS: &[(&str, Ty)] = &[
    ("family", Ty::Str),
    ("taskRoleArn", Ty::Str),
    ("executionRoleArn", Ty::Str),
    ("networkMode", Ty::Enum(NETWORK_MODES)),
    ("containerDefinitions", Ty::Arr(&OBJECTS)),
    ("volumes", Ty::Arr(&OBJECTS)),
    ("placementConstraints", Ty::Arr(&OBJECTS)),
    ("requiresCompatibilities", Ty::Arr(&COMPAT)),
    ("cpu", Ty::Str),
    ("memory", Ty::Str),
    ("tags", Ty::Arr(&OBJECTS)),
    ("pidMode", Ty::Enum(&["host", "task"])),
    ("ipcMode", Ty::Enum(&["host", "task", "none"])),
    ("proxyConfiguration", Ty::Obj),
    ("inferenceAccelerators", Ty::Arr(&OBJECTS)),
    ("ephemeralStorage", Ty::Obj),
    ("runtimePlatform", Ty::Obj),
    ("enableFaultInjection", Ty::Bool),
];

/// Fields `describe-task-definition` adds, which the tool accepts in its input.
pub const DESCRIBE_FIELDS: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

pub const CONTAINER_FIELDS: &[(&str, Ty)] = &[
    ("name", Ty::Str),
    ("image", Ty::Str),
    ("repositoryCredentials", Ty::Obj),
    ("cpu", Ty::Int),
    ("memory", Ty::Int),
    ("memoryReservation", Ty::Int),
    ("links", Ty::Arr(&STRINGS)),
    ("portMappings", Ty::Arr(&OBJECTS)),
    ("essential", Ty::Bool),
    ("restartPolicy", Ty::Obj),
    ("entryPoint", Ty::Arr(&STRINGS)),
    ("command", Ty::Arr(&STRINGS)),
    ("environment", Ty::Arr(&OBJECTS)),
    ("environmentFiles", Ty::Arr(&OBJECTS)),
    ("mountPoints", Ty::Arr(&OBJECTS)),
    ("volumesFrom", Ty::Arr(&OBJECTS)),
    ("linuxParameters", Ty::Obj),
    ("secrets", Ty::Arr(&OBJECTS)),
    ("dependsOn", Ty::Arr(&OBJECTS)),
    ("startTimeout", Ty::Int),
    ("stopTimeout", Ty::Int),
    ("versionConsistency", Ty::Enum(&["enabled", "disabled"])),
    ("hostname", Ty::Str),
    ("user", Ty::Str),
    ("workingDirectory", Ty::Str),
    ("disableNetworking", Ty::Bool),
    ("privileged", Ty::Bool),
    ("readonlyRootFilesystem", Ty::Bool),
    ("dnsServers", Ty::Arr(&STRINGS)),
    ("dnsSearchDomains", Ty::Arr(&STRINGS)),
    ("extraHosts", Ty::Arr(&OBJECTS)),
    ("dockerSecurityOptions", Ty::Arr(&STRINGS)),
    ("interactive", Ty::Bool),
    ("pseudoTerminal", Ty::Bool),
    ("dockerLabels", Ty::StrMap),
    ("ulimits", Ty::Arr(&OBJECTS)),
    ("logConfiguration", Ty::Obj),
    ("healthCheck", Ty::Obj),
    ("systemControls", Ty::Arr(&OBJECTS)),
    ("resourceRequirements", Ty::Arr(&OBJECTS)),
    ("firelensConfiguration", Ty::Obj),
    ("credentialSpecs", Ty::Arr(&STRINGS)),
];

pub fn describe(ty: Ty) -> String {
    match ty {
        Ty::Str => "a string".into(),
        Ty::Int => "an integer".into(),
        Ty::Bool => "a boolean".into(),
        Ty::Obj => "an object".into(),
        Ty::StrMap => "an object of strings".into(),
        Ty::Arr(inner) => format!("an array of {}", plural(*inner)),
        Ty::Enum(values) => format!(
            "one of {}",
            values
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn plural(ty: Ty) -> String {
    match ty {
        Ty::Str => "strings".into(),
        Ty::Int => "integers".into(),
        Ty::Bool => "booleans".into(),
        Ty::Obj | Ty::StrMap => "objects".into(),
        Ty::Arr(_) => "arrays".into(),
        Ty::Enum(values) => values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

pub use crate::base::spelling::did_you_mean;
