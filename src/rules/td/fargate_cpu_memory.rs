//! TD002: a Fargate task's cpu/memory pair is not one Fargate offers.

use crate::diag::Severity;
use crate::model::TaskDefinition;
use crate::model::taskdef::spell;

use crate::rules::{Context, Needs, Rule};

pub static RULE: Rule = Rule {
    code: "TD002",
    name: "fargate-cpu-memory",
    severity: Severity::Error,
    summary: "A Fargate task's cpu/memory pair is not one of the combinations Fargate offers",
    needs: Needs::File,
    reads: &[],
    check: Some(check),
};

/// Memory sizes in MiB as (from, to, step) ranges.
type MemoryRanges = &'static [(u32, u32, u32)];

/// CPU units → the memory sizes (MiB) Fargate offers with them: (from, to, step).
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size
const COMBINATIONS: &[(u32, MemoryRanges)] = &[
    (256, &[(512, 512, 1), (1024, 1024, 1), (2048, 2048, 1)]),
    (512, &[(1024, 4096, 1024)]),
    (1024, &[(2048, 8192, 1024)]),
    (2048, &[(4096, 16384, 1024)]),
    (4096, &[(8192, 30720, 1024)]),
    (8192, &[(16384, 61440, 4096)]),
    (16384, &[(32768, 122880, 8192)]),
];

/// The CPU sizes Fargate offers for Windows containers (at least 1 vCPU; the 8 and 16 vCPU
/// rows are Linux only), same page.
const WINDOWS_CPU: &[u32] = &[1024, 2048, 4096];

/// Whether `runtimePlatform.operatingSystemFamily` is a Windows one.
fn windows(task: &TaskDefinition) -> bool {
    task.get("runtimePlatform")
        .and_then(|p| crate::model::taskdef::field(p, task.style, "operatingSystemFamily"))
        .and_then(|n| n.as_str())
        .is_some_and(|s| s.to_ascii_uppercase().starts_with("WINDOWS"))
}

pub fn memory_options(cpu: u32) -> Option<Vec<u32>> {
    let ranges = COMBINATIONS.iter().find(|(c, _)| *c == cpu)?.1;
    Some(
        ranges
            .iter()
            .flat_map(|&(from, to, step)| (from..=to).step_by(step as usize))
            .collect(),
    )
}

fn check(task: &TaskDefinition, cx: &mut Context) {
    match task.requires_fargate() {
        Some(true) => {}
        Some(false) => return,
        None => {
            if task.get("cpu").is_some() || task.get("memory").is_some() {
                cx.skip(
                    &[&RULE],
                    "`requiresCompatibilities` is not known before deploy, so whether the Fargate sizes apply is unknown",
                );
            }
            return;
        }
    }
    let (cpu, memory) = (task.get("cpu"), task.get("memory"));
    let (cpu_name, memory_name) = (spell("cpu", task.style), spell("memory", task.style));
    if cpu.is_none() || memory.is_none() {
        let missing = match (cpu, memory) {
            (None, None) => format!("`{cpu_name}` and `{memory_name}`"),
            (None, _) => format!("`{cpu_name}`"),
            _ => format!("`{memory_name}`"),
        };
        cx.report(&RULE, task.anchor, format!("this Fargate task definition has no task-level {missing}; Fargate requires both"))
            .help(format!("add e.g. `\"{cpu_name}\": \"256\", \"{memory_name}\": \"512\"` (the smallest Fargate size)"));
        return;
    }
    let (Some(cpu), Some(memory)) = (cpu, memory) else {
        return;
    };
    if let Some(why) = cpu.unknown_reason().or_else(|| memory.unknown_reason()) {
        cx.skip(
            &[&RULE],
            format!("the Fargate size cannot be checked before deploy: {why}"),
        );
        return;
    }
    let cpu_units = cpu.scalar_text().and_then(|t| parse_cpu(&t));
    let memory_mib = memory.scalar_text().and_then(|t| parse_memory(&t));
    let Some(cpu_units) = cpu_units else {
        cx.report(&RULE, cpu.span, format!("`{cpu_name}` is not a CPU size Fargate understands: write CPU units (\"1024\") or vCPUs (\"1 vCPU\")"));
        return;
    };
    let Some(memory_mib) = memory_mib else {
        cx.report(&RULE, memory.span, format!("`{memory_name}` is not a memory size Fargate understands: write MiB (\"2048\") or GB (\"2 GB\")"));
        return;
    };
    if windows(task) && !WINDOWS_CPU.contains(&cpu_units) {
        cx.report(
            &RULE,
            cpu.span,
            format!("Fargate does not offer {cpu_units} CPU units for Windows containers"),
        )
        .primary_label("not a Fargate size for Windows")
        .help("Windows tasks on Fargate take 1024, 2048 or 4096 CPU units (1, 2 or 4 vCPU), with the memory sizes of those rows");
        return;
    }
    let Some(options) = memory_options(cpu_units) else {
        let valid: Vec<String> = COMBINATIONS.iter().map(|(c, _)| c.to_string()).collect();
        cx.report(
            &RULE,
            cpu.span,
            format!("Fargate does not offer {cpu_units} CPU units"),
        )
        .primary_label("not a Fargate CPU size")
        .help(format!(
            "use one of {} CPU units (0.25 to 16 vCPU)",
            valid.join(", ")
        ));
        return;
    };
    if !options.contains(&memory_mib) {
        cx.report(
            &RULE,
            memory.span,
            format!("Fargate does not offer {memory_mib} MiB of memory with {cpu_units} CPU units"),
        )
        .primary_label("not offered with this CPU size")
        .label_here(cpu.span, format!("{cpu_units} CPU units"))
        .help(format!(
            "with {cpu_units} CPU units, memory must be one of: {}",
            describe_options(&options)
        ));
    }
}

fn describe_options(options: &[u32]) -> String {
    if options.len() <= 4 {
        return options
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join(", ");
    }
    let step = options[1] - options[0];
    format!(
        "{} to {} in steps of {step} (MiB)",
        options[0],
        options[options.len() - 1]
    )
}

/// "1024", "1 vCPU", "0.25 vcpu" → CPU units.
pub fn parse_cpu(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(units) = t.parse::<u32>() {
        return Some(units);
    }
    let lower = t.to_ascii_lowercase();
    let number = lower.strip_suffix("vcpu")?.trim();
    let vcpu: f64 = number.parse().ok()?;
    let units = vcpu * 1024.0;
    (units.fract() == 0.0 && units > 0.0 && units < 1e9).then_some(units as u32)
}

/// "2048", "2 GB", "2GB", "0.5 gb" → MiB.
pub fn parse_memory(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(mib) = t.parse::<u32>() {
        return Some(mib);
    }
    let lower = t.to_ascii_lowercase();
    let number = lower.strip_suffix("gb")?.trim();
    let gb: f64 = number.parse().ok()?;
    let mib = gb * 1024.0;
    (mib.fract() == 0.0 && mib > 0.0 && mib < 1e9).then_some(mib as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_words() {
        assert_eq!(parse_cpu("256"), Some(256));
        assert_eq!(parse_cpu("1 vCPU"), Some(1024));
        assert_eq!(parse_cpu(".25 vcpu"), Some(256));
        assert_eq!(parse_cpu("two"), None);
        assert_eq!(parse_memory("2 GB"), Some(2048));
        assert_eq!(parse_memory("0.5GB"), Some(512));
        assert_eq!(parse_memory("512"), Some(512));
        assert_eq!(parse_memory("1 TB"), None);
    }

    #[test]
    fn combinations() {
        assert_eq!(memory_options(256), Some(vec![512, 1024, 2048]));
        assert_eq!(memory_options(512).unwrap(), vec![1024, 2048, 3072, 4096]);
        assert!(memory_options(4096).unwrap().contains(&30720));
        assert!(memory_options(8192).unwrap().contains(&20480));
        assert!(!memory_options(8192).unwrap().contains(&18432));
        assert!(memory_options(8192).unwrap().contains(&61440));
        assert_eq!(memory_options(16384).unwrap().last(), Some(&122880));
        assert_eq!(memory_options(300), None);
    }
}
