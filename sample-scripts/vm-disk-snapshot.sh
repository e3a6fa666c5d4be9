#!/usr/bin/env bash
# Nightly: snapshot the data disk of the build VM, and rebuild a test VM from the snapshot.
set -euo pipefail
RG="rg-build"
VM="vm-build-01"
TEST_VM="vm-restore-test"
STAMP=$(date +%Y%m%d)

az login --identity --client-id "$MSI_CLIENT_ID" >/dev/null

disk_id=$(az vm show -g "$RG" -n "$VM" \
    --query "storageProfile.dataDisks[0].managedDisk.id" -o tsv)

az snapshot create \
    --resource-group "$RG" \
    --name "snap-${VM}-${STAMP}" \
    --source "$disk_id" \
    --incremental true \
    --sku Standard_ZRS \
    --tags created-by=nightly

az disk create -g "$RG" -n "disk-restore-${STAMP}" --source "snap-${VM}-${STAMP}" --sku Premium_LRS

# Fresh test VM each night; delete yesterday's.
if az vm show -g "$RG" -n "$TEST_VM" &>/dev/null; then
    az vm delete -g "$RG" -n "$TEST_VM" --yes --force-deletion true
fi
az vm create \
    --resource-group "$RG" \
    --name "$TEST_VM" \
    --image Ubuntu2204 \
    --size Standard_D2s_v5 \
    --admin-username azureuser \
    --ssh-key-values ~/.ssh/id_ed25519.pub \
    --public-ip-address "" \
    --nsg "" \
    --os-disk-delete-option Delete

az vm disk attach -g "$RG" --vm-name "$TEST_VM" --name "disk-restore-${STAMP}"
az vm run-command invoke -g "$RG" -n "$TEST_VM" --command-id RunShellScript \
    --scripts "sudo mount /dev/sdc1 /mnt && ls /mnt | head"

# Stop every VM tagged autoshutdown=true (list ids, deallocate in parallel).
az vm list -g "$RG" --query "[?tags.autoshutdown=='true'].id" -o tsv \
    | xargs -r -P 4 -n 1 az vm deallocate --no-wait --ids

# Retention: remove snapshots older than 14 days.
cutoff=$(date -d '-14 days' +%s)
az snapshot list -g "$RG" --query "[?starts_with(name, 'snap-${VM}-')].[name, timeCreated]" -o tsv |
while read -r name created; do
    if (( $(date -d "$created" +%s) < cutoff )); then
        az snapshot delete -g "$RG" -n "$name"
    fi
done
az disk list -g "$RG" --query "[?diskState=='Unattached'].name" -o tsv
