//! Amazon Resource Names: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`
//! (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
//!
//! The one place that splits an ARN into its fields. The resource part keeps its own colons
//! (`secret:NAME-AbCdEf:json-key:stage:id`, `log-group:NAME:*`): what they mean depends on
//! the service, so the service's reader takes them apart (see [`SecretReference`]).

/// An ARN's fields, borrowed from the text. Region and account may be empty (S3 and IAM ARNs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The fields of `text`, or None when it is not `arn:` followed by five fields.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.strip_prefix("arn:")?.splitn(5, ':');
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    /// The resource after `kind` and its separator: `role/app/web` with kind `role` is
    /// `app/web`; `secret:db-AbCdEf` with kind `secret` is `db-AbCdEf`.
    pub fn resource_of(&self, kind: &str) -> Option<&'a str> {
        let rest = self.resource.strip_prefix(kind)?;
        rest.strip_prefix('/').or_else(|| rest.strip_prefix(':'))
    }
}

/// A Secrets Manager reference as ECS takes it in `valueFrom`:
/// `arn:…:secret:NAME[-SUFFIX][:json-key:version-stage:version-id]`
/// (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretReference<'a> {
    /// The secret's own ARN, without the fields ECS adds after it.
    pub secret_arn: &'a str,
    pub arn: Arn<'a>,
    /// The secret's name as written (a complete ARN ends in a six-character suffix).
    pub name: &'a str,
    pub json_key: &'a str,
    pub version_stage: &'a str,
    pub version_id: &'a str,
    /// More than three fields after the name (ECS rejects it).
    pub extra_fields: usize,
}

impl<'a> SecretReference<'a> {
    /// None when `text` is not a Secrets Manager `secret:` ARN with a name.
    pub fn parse(text: &'a str) -> Option<SecretReference<'a>> {
        let arn = Arn::parse(text)?;
        if arn.service != "secretsmanager" {
            return None;
        }
        let after = arn.resource.strip_prefix("secret:")?;
        let mut fields = after.split(':');
        let name = fields.next().filter(|n| !n.is_empty())?;
        let secret_arn = &text[..text.len() - after.len() + name.len()];
        let json_key = fields.next().unwrap_or("");
        let version_stage = fields.next().unwrap_or("");
        let version_id = fields.next().unwrap_or("");
        Some(SecretReference {
            secret_arn,
            arn,
            name,
            json_key,
            version_stage,
            version_id,
            extra_fields: fields.count(),
        })
    }
}

/// The bucket and key of an S3 object ARN (`arn:aws:s3:::bucket/key`), as `environmentFiles`
/// name them (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/use-environment-file.html).
pub fn s3_object(text: &str) -> Result<(String, String), String> {
    let not_object = || format!("`{text}` is not an S3 object ARN (`arn:aws:s3:::bucket/key`)");
    let arn = Arn::parse(text).ok_or_else(not_object)?;
    if arn.service != "s3" || !arn.region.is_empty() || !arn.account.is_empty() {
        return Err(not_object());
    }
    match arn.resource.split_once('/') {
        Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
            Ok((bucket.to_string(), key.to_string()))
        }
        _ => Err(format!("`{text}` names no object key after the bucket")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_splits_into_five_fields_and_the_resource_keeps_its_colons() {
        let arn = Arn::parse("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web:*").unwrap();
        assert_eq!(arn.partition, "aws");
        assert_eq!(arn.service, "logs");
        assert_eq!(arn.region, "eu-west-1");
        assert_eq!(arn.account, "123456789012");
        assert_eq!(arn.resource, "log-group:/ecs/web:*");
        assert_eq!(arn.resource_of("log-group"), Some("/ecs/web:*"));
        let role = Arn::parse("arn:aws-cn:iam::123456789012:role/app/web").unwrap();
        assert_eq!((role.partition, role.region), ("aws-cn", ""));
        assert_eq!(role.resource_of("role"), Some("app/web"));
        assert_eq!(role.resource_of("user"), None);
    }

    #[test]
    fn text_with_fewer_than_six_fields_is_not_an_arn() {
        for text in ["", "arn", "arn:aws:iam::123", "aws:iam::1:role/x", "role/x"] {
            assert_eq!(Arn::parse(text), None, "{text}");
        }
        assert!(Arn::parse("arn:::::").is_some());
    }

    #[test]
    fn a_secret_reference_separates_the_secret_from_the_fields_ecs_adds() {
        let text =
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password:AWSCURRENT:";
        let r = SecretReference::parse(text).unwrap();
        assert_eq!(
            r.secret_arn,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(r.name, "db-AbCdEf");
        assert_eq!(
            (r.json_key, r.version_stage, r.version_id),
            ("password", "AWSCURRENT", "")
        );
        assert_eq!(r.extra_fields, 0);
        let plain = SecretReference::parse("arn:aws:secretsmanager:us-east-1:1:secret:db").unwrap();
        assert_eq!((plain.name, plain.json_key), ("db", ""));
        let long =
            SecretReference::parse("arn:aws:secretsmanager:r:1:secret:db:k:s:i:x:y").unwrap();
        assert_eq!(long.extra_fields, 2);
        assert_eq!(SecretReference::parse("arn:aws:ssm:r:1:parameter/db"), None);
        assert_eq!(
            SecretReference::parse("arn:aws:secretsmanager:r:1:secret:"),
            None
        );
    }

    #[test]
    fn an_s3_object_arn_names_a_bucket_and_a_key() {
        assert_eq!(
            s3_object("arn:aws:s3:::conf/app/.env"),
            Ok(("conf".to_string(), "app/.env".to_string()))
        );
        assert!(s3_object("arn:aws:s3:::conf").is_err());
        assert!(s3_object("arn:aws:s3:::/key").is_err());
        assert!(s3_object("s3://conf/app.env").is_err());
        assert!(s3_object("arn:aws:ssm:us-east-1:1:parameter/x").is_err());
    }
}
