import type { ResolvedSchemaRegistry } from './resolved.js';
import {
  SchemaRegistryAuthentications,
  type SchemaRegistrySpec,
  SchemaValidationAttributes,
} from './types.js';
import type { ProblemSink } from './validate-sources.js';

/** The form aws-cdk-lib's GlueSchemaRegistry accepts (it fails synth on anything else). */
const GLUE_REGISTRY_ARN = /^arn:[^:]+:glue:[^:]+:[^:]+:registry\/([^/]+)$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

const isUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

/**
 * Validates a topic's schema registry and fills its defaults; undefined when the topic has
 * none. Lambda allows a schema registry on provisioned-mode mappings only: every staysync
 * Kafka mapping is provisioned: `kafkaStreamSettings` always sets its provisioned pollers.
 */
export function resolveSchemaRegistry(
  spec: SchemaRegistrySpec | undefined,
  at: string,
  p: ProblemSink,
): ResolvedSchemaRegistry | undefined {
  if (spec === undefined) return undefined;
  const where = `${at}.schemaRegistry`;
  const glue = spec.glueRegistryArn;
  const confluent = spec.confluentUrl;
  p.check(
    (glue === undefined) !== (confluent === undefined),
    `${where} must set exactly one of glueRegistryArn and confluentUrl`,
  );
  const attributes = spec.attributes ?? ['VALUE'];
  p.check(
    Array.isArray(attributes) &&
      attributes.length > 0 &&
      attributes.every((a) => SchemaValidationAttributes.includes(a)) &&
      new Set(attributes).size === attributes.length,
    `${where}.attributes must list KEY and/or VALUE, each once`,
  );
  p.check(
    spec.eventRecordFormat === undefined || spec.eventRecordFormat === 'JSON',
    `${where}.eventRecordFormat must be 'JSON': the sinks parse the JSON Lambda decodes, not Avro or Protobuf bytes`,
  );
  const common = { attributes: [...attributes], eventRecordFormat: 'JSON' as const };
  if (glue !== undefined) {
    p.check(
      typeof glue === 'string' && GLUE_REGISTRY_ARN.test(glue),
      `${where}.glueRegistryArn must match ${GLUE_REGISTRY_ARN}`,
    );
    p.check(
      spec.secretArn === undefined && spec.authentication === undefined,
      `${where}: secretArn and authentication are for Confluent registries; Glue is reached with the function's role`,
    );
    return { ...common, kind: 'glue', registryArn: glue };
  }
  const url = confluent ?? '';
  p.check(isUrl(url), `${where}.confluentUrl must be an http(s) URL`);
  p.check(
    spec.authentication === undefined ||
      SchemaRegistryAuthentications.includes(spec.authentication),
    `${where}.authentication must be one of ${SchemaRegistryAuthentications.join(', ')}`,
  );
  p.check(
    spec.authentication === undefined || spec.secretArn !== undefined,
    `${where}.authentication needs secretArn (the secret it authenticates with)`,
  );
  if (spec.secretArn === undefined) return { ...common, kind: 'confluent', url };
  p.check(
    SECRET_ARN.test(spec.secretArn),
    `${where}.secretArn must be a Secrets Manager secret's complete ARN`,
  );
  return {
    ...common,
    kind: 'confluent',
    url,
    auth: { secretArn: spec.secretArn, type: spec.authentication ?? 'BASIC_AUTH' },
  };
}
