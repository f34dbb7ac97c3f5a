#!/usr/bin/env bash
# Stop a cloud job early when its runner is the wrong one: otherwise it fails much later, at the
# first Kubernetes object, after AWS resources were already changed (docs/operations.md,
# "Deployer access"), or it runs untrusted code where the deploy runs.
#
#   require-cloud-runner.sh deploy    (DEPLOY_RUNNER set): `pulumi up` and drift, main's code
#   require-cloud-runner.sh preview   (PREVIEW_RUNNER and DEPLOY_RUNNER set): a pull request's
#                                      code, which must never share the deploy runner
set -euo pipefail
mode="${1:-}"
case "$mode" in
  deploy)
    runner="${DEPLOY_RUNNER:-}"
    if [ -z "$runner" ]; then
      echo "::error::set the repository variable DEPLOY_RUNNER to the label of a runner inside the deployer network (featurestore:deployer.cidrs); a GitHub-hosted runner cannot reach a private API endpoint"
      exit 1
    fi
    ;;
  preview)
    runner="${PREVIEW_RUNNER:-}"
    if [ -z "$runner" ]; then
      echo "::error::set the repository variable PREVIEW_RUNNER to the label of an ephemeral runner inside the deployer network, apart from DEPLOY_RUNNER"
      exit 1
    fi
    if [ "$runner" = "${DEPLOY_RUNNER:-}" ]; then
      echo "::error::PREVIEW_RUNNER is the deploy runner (${runner}): a pull request's code would run where 'pulumi up' runs and could leave code behind for the next deploy; give previews their own ephemeral runners"
      exit 1
    fi
    ;;
  *)
    echo "usage: require-cloud-runner.sh deploy|preview" >&2
    exit 2
    ;;
esac
if ! aws --version; then
  echo "::error::runner ${runner} has no AWS CLI; the clusters' kubeconfig runs 'aws eks get-token'"
  exit 1
fi
