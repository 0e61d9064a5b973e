/**
 * The region and static credentials every local AWS emulator (Dynoxide, moto) is called
 * with. Neither verifies signatures, but the SDKs refuse to sign without credentials, and
 * a region is part of every ARN the emulators hand out.
 */
export const localAwsIdentity: Readonly<Record<string, string>> = Object.freeze({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
});
