#!/usr/bin/env bash
# Deploy the application infrastructure from Bicep/ARM templates.
# Runs in the release pipeline after the build stage published ./infra.
set -euo pipefail

ENVIRONMENT="${1:-dev}"
LOCATION="${LOCATION:-westeurope}"
RESOURCE_GROUP="rg-shop-${ENVIRONMENT}"
DEPLOYMENT_NAME="shop-$(date +%Y%m%d%H%M%S)"
TEMPLATE_DIR="$(dirname "$0")/../infra"

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

log "Logging in as the pipeline's service principal"
az login --service-principal \
  --username "$ARM_CLIENT_ID" \
  --password "$ARM_CLIENT_SECRET" \
  --tenant "$ARM_TENANT_ID" \
  --output none
az account set --subscription "$ARM_SUBSCRIPTION_ID"

log "Ensuring resource group ${RESOURCE_GROUP}"
if [[ "$(az group exists --name "$RESOURCE_GROUP")" != "true" ]]; then
  az group create --name "$RESOURCE_GROUP" --location "$LOCATION" \
    --tags environment="$ENVIRONMENT" owner=platform-team --output none
fi

# Bicep is compiled by the CLI; pin the version for reproducible builds.
az bicep install --version v0.30.23
az bicep build --file "${TEMPLATE_DIR}/main.bicep" --outdir "${TEMPLATE_DIR}/out"

log "Validating template"
az deployment group validate \
  --resource-group "$RESOURCE_GROUP" \
  --template-file "${TEMPLATE_DIR}/out/main.json" \
  --parameters "@${TEMPLATE_DIR}/params.${ENVIRONMENT}.json" \
  --output none

log "What-if (for the job summary)"
az deployment group what-if \
  --resource-group "$RESOURCE_GROUP" \
  --template-file "${TEMPLATE_DIR}/main.bicep" \
  --parameters "@${TEMPLATE_DIR}/params.${ENVIRONMENT}.json" \
  --result-format ResourceIdOnly >> "${GITHUB_STEP_SUMMARY:-/dev/null}"

log "Deploying ${DEPLOYMENT_NAME}"
az deployment group create \
  --name "$DEPLOYMENT_NAME" \
  --resource-group "$RESOURCE_GROUP" \
  --template-file "${TEMPLATE_DIR}/main.bicep" \
  --parameters "@${TEMPLATE_DIR}/params.${ENVIRONMENT}.json" \
  --parameters imageTag="${IMAGE_TAG:-latest}" \
  --mode Incremental \
  --no-wait

az deployment group wait --created --name "$DEPLOYMENT_NAME" --resource-group "$RESOURCE_GROUP" \
  --timeout 1800

state=$(az deployment group show --name "$DEPLOYMENT_NAME" --resource-group "$RESOURCE_GROUP" \
  --query properties.provisioningState --output tsv)
if [[ "$state" != "Succeeded" ]]; then
  log "Deployment failed (${state}); failed operations:"
  az deployment operation group list --name "$DEPLOYMENT_NAME" --resource-group "$RESOURCE_GROUP" \
    --query "[?properties.provisioningState=='Failed'].properties.statusMessage" --output json
  exit 1
fi

# Subscription-scoped policy assignments live in a separate ARM template.
az deployment sub create \
  --location "$LOCATION" \
  --template-file "${TEMPLATE_DIR}/policy.json" \
  --parameters environment="$ENVIRONMENT"

outputs=$(az deployment group show -g "$RESOURCE_GROUP" -n "$DEPLOYMENT_NAME" --query properties.outputs -o json)
echo "webAppName=$(jq -r '.webAppName.value' <<<"$outputs")" >> "${GITHUB_OUTPUT:-/dev/null}"
log "Done: az deployment finished for ${ENVIRONMENT}"
