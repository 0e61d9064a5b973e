import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConfluentSchemaRegistry, GlueSchemaRegistry } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ResolvedSchemaRegistry } from '../config/resolved.js';

/**
 * A topic's schema registry as the mapping's `SchemaRegistryConfig`, with the grants the
 * Lambda developer guide asks of the function's role ("Using schema registries with Kafka
 * event sources in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html):
 * - AWS Glue: aws-cdk-lib's GlueSchemaRegistry grants `glue:GetRegistry` on the registry and
 *   `glue:GetSchemaVersion` on it and its schemas (no AccessConfigs: the role is the auth);
 * - Confluent with a secret: ConfluentSchemaRegistry grants `secretsmanager:GetSecretValue`
 *   (and DescribeSecret) on the secret named in AccessConfigs (BASIC_AUTH,
 *   CLIENT_CERTIFICATE_TLS_AUTH or SERVER_ROOT_CA_CERTIFICATE);
 * - Confluent without authentication: only the URL (CDK's class requires a secret).
 * The records then arrive as JSON (`EventRecordFormat` JSON) with `keySchemaMetadata` /
 * `valueSchemaMetadata`.
 */
export function schemaRegistryConfig(
  scope: Construct,
  id: string,
  spec: ResolvedSchemaRegistry,
): lambda.ISchemaRegistry {
  const common = {
    eventRecordFormat: lambda.EventRecordFormat.JSON,
    schemaValidationConfigs: spec.attributes.map((a) => ({
      attribute:
        a === 'KEY'
          ? lambda.KafkaSchemaValidationAttribute.KEY
          : lambda.KafkaSchemaValidationAttribute.VALUE,
    })),
  };
  if (spec.kind === 'glue') {
    return new GlueSchemaRegistry({ ...common, schemaRegistryArn: spec.registryArn });
  }
  if (spec.auth === undefined) {
    return {
      bind: () => ({ ...common, schemaRegistryUri: spec.url }),
    };
  }
  return new ConfluentSchemaRegistry({
    ...common,
    schemaRegistryUri: spec.url,
    authenticationType: lambda.KafkaSchemaRegistryAccessConfigType[spec.auth.type],
    secret: secretsmanager.Secret.fromSecretCompleteArn(scope, id, spec.auth.secretArn),
  });
}
