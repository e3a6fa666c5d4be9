#!/usr/bin/env bash
# CI job: tag every managed disk in the team's resource groups with its owner and
# cost centre, and report untagged disks. Uses exactly the blog post's command set:
# login, account, group, disk, resource, tag, rest.
set -euo pipefail

: "${AZURE_CLIENT_ID:?set AZURE_CLIENT_ID}"
: "${AZURE_TENANT_ID:?set AZURE_TENANT_ID}"
: "${AZURE_SUBSCRIPTION_ID:?set AZURE_SUBSCRIPTION_ID}"
GROUP_PREFIX="${GROUP_PREFIX:-team-}"
COST_CENTRE="${COST_CENTRE:-cc-1234}"

az login --service-principal \
    --username "$AZURE_CLIENT_ID" \
    --tenant "$AZURE_TENANT_ID" \
    --federated-token "$(cat "$AZURE_FEDERATED_TOKEN_FILE")" \
    --output none
az account set --subscription "$AZURE_SUBSCRIPTION_ID"
subscription_name=$(az account show --query name --output tsv)
echo "Tagging disks in subscription ${subscription_name}"

groups=$(az group list --query "[?starts_with(name, '${GROUP_PREFIX}')].name" --output json | jq -r '.[]')

for group in $groups; do
    owner=$(az group show --name "$group" --query "tags.owner" --output tsv)
    if [[ -z "$owner" ]]; then
        echo "::warning::resource group $group has no owner tag, skipping"
        continue
    fi
    az disk list --resource-group "$group" --output json \
        | jq -r '.[] | select(.tags.owner == null) | .id' \
        | while read -r disk_id; do
            az tag update --resource-id "$disk_id" --operation Merge \
                --tags "owner=$owner" "costCentre=$COST_CENTRE" --output none
            echo "tagged $disk_id"
        done
done

# Disks nobody claimed: list them through the generic resource API.
untagged=$(az resource list --resource-type Microsoft.Compute/disks \
    --query "[?tags.owner == null].id" --output json | jq 'length')
echo "untagged disks left: ${untagged}"

# Usage of the compute quota, straight from ARM (no az subcommand for it).
az rest --method get \
    --url "https://management.azure.com/subscriptions/${AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Compute/locations/westeurope/usages?api-version=2023-07-01" \
    | jq -r '.value[] | select(.name.value == "cores") | "cores used: \(.currentValue)/\(.limit)"'
