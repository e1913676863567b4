/**
 * Customer managed KMS keys with explicit key policies. The account may administer every key
 * (so no key can become unmanageable), but cryptographic use is granted per key: through IAM for
 * the keys AWS services use on our behalf, to named roles only for the patient data key and the
 * session signing key.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Administration without any cryptographic operation: an administrator cannot read data. */
const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
];

/** What an AWS service needs to encrypt and decrypt with a key on a caller's behalf. */
export const KEY_USE_ACTIONS = [
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

export interface DmpKeyProps {
  alias: string;
  description: string;
  /**
   * Let IAM policies of this account grant cryptographic use (for keys that AWS services use on a
   * caller's behalf: DynamoDB, SNS). Without it only the key policy's own statements do.
   */
  delegateUseToIam: boolean;
  /**
   * An asymmetric key (e.g. ECC_NIST_P256 for SIGN_VERIFY). Absent: a symmetric encryption key.
   * KMS cannot rotate asymmetric keys automatically: rotating one means a new key and a new kid.
   */
  asymmetric?: { keySpec: kms.KeySpec; keyUsage: kms.KeyUsage };
}

export const createKey = (scope: Construct, id: string, props: DmpKeyProps): kms.Key => {
  const policy = new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AccountAdministersTheKey',
        principals: [new iam.AccountRootPrincipal()],
        actions: KEY_ADMIN_ACTIONS,
        resources: ['*'],
      }),
    ],
  });
  if (props.delegateUseToIam) {
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'IamPoliciesOfTheAccountGrantUse',
        principals: [new iam.AccountRootPrincipal()],
        actions: [...KEY_USE_ACTIONS, 'kms:CreateGrant'],
        resources: ['*'],
      }),
    );
  }
  return new kms.Key(scope, id, {
    alias: props.alias,
    description: props.description,
    ...(props.asymmetric ? { keySpec: props.asymmetric.keySpec, keyUsage: props.asymmetric.keyUsage, enableKeyRotation: false } : { enableKeyRotation: true }),
    policy,
    removalPolicy: RemovalPolicy.RETAIN,
  });
};
