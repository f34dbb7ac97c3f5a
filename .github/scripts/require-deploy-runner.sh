#!/usr/bin/env bash
# Stop a cloud job early when its runner cannot reach the clusters' API endpoints or run the
# kubeconfig's `aws eks get-token`: otherwise it fails much later, at the first Kubernetes
# object, after AWS resources were already changed (docs/operations.md, "Deployer access").
set -euo pipefail
if [ -z "${DEPLOY_RUNNER:-}" ]; then
  echo "::error::set the repository variable DEPLOY_RUNNER to the label of a runner inside the deployer network (featurestore:deployer.cidrs); a GitHub-hosted runner cannot reach a private API endpoint"
  exit 1
fi
if ! aws --version; then
  echo "::error::runner ${DEPLOY_RUNNER} has no AWS CLI; the clusters' kubeconfig runs 'aws eks get-token'"
  exit 1
fi
