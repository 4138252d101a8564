#!/usr/bin/env bash
# The example scenario: one officer's device, offline, working a stalking case.
# Uses the built-in `stalking` template (examples/templates/stalking.json) and a fresh
# temporary data folder. Demo passphrases only — real ones come from a prompt.
set -euo pipefail
FIELDCASE=${FIELDCASE:-fieldcase}
data=$(mktemp -d /tmp/fieldcase-demo.XXXXXX)
trap 'rm -rf "$data"' EXIT
export FIELDCASE_DATA="$data"
export FIELDCASE_PASSPHRASE='demo: Harbour-Lantern-42'
export FIELDCASE_RECOVERY_PASSPHRASE='demo: Recovery-Orchard-97'
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "fieldcase demo — data folder $data"
step "$FIELDCASE" init --org "Northshire Police" --name "PC Ada Okafor" --badge 4471

echo; echo '$ fieldcase case open --template stalking --set victim=... --set risk_level=medium'
case_id=$("$FIELDCASE" case open --template stalking --set "victim=J. Doe" \
  --set "suspect=R. Roe" --set "relationship=ex-partner" --set risk_level=medium)
echo "$case_id"

step "$FIELDCASE" case note "$case_id" --kind incident \
  "Victim reports 14 calls from withheld numbers overnight; suspect seen on her road at 06:40."
step "$FIELDCASE" case set "$case_id" spo_status interim
step "$FIELDCASE" case set "$case_id" spo_expiry 2027-05-31
step "$FIELDCASE" case note "$case_id" --kind breach \
  "Suspect waited outside victim's workplace, within the SPO exclusion zone."
step "$FIELDCASE" case set "$case_id" risk_level high
step "$FIELDCASE" case note "$case_id" --kind referral "Referred to the independent stalking advocate service."
step "$FIELDCASE" case set "$case_id" referral "ISAC, accepted"
step "$FIELDCASE" case tag "$case_id" spo-breach
step "$FIELDCASE" case show "$case_id"
step "$FIELDCASE" case history "$case_id"
step "$FIELDCASE" case list --field risk_level=high
step "$FIELDCASE" verify
step "$FIELDCASE" status

echo
echo "A colleague's device joins the team, and the station hub (which must never read"
echo "case content) is enrolled too:"
colleague=$(mktemp -d /tmp/fieldcase-demo-colleague.XXXXXX)
hub=$(mktemp -d /tmp/fieldcase-demo-hub.XXXXXX)
trap 'rm -rf "$data" "$colleague" "$hub"' EXIT
step "$FIELDCASE" --data "$colleague" init
step "$FIELDCASE" --data "$colleague" enrol-request --name "PC Bob Reyes" --badge 5120 --out "$colleague/bob.fcreq"
step "$FIELDCASE" org enrol "$colleague/bob.fcreq" --role officer --out "$colleague/bob.fcenr" --yes
step "$FIELDCASE" --data "$colleague" join "$colleague/bob.fcenr" --yes
step "$FIELDCASE" --data "$colleague" case show "$case_id"
echo
echo "Out of signal, PC Reyes records a breach; a USB stick carries it back to the station:"
step "$FIELDCASE" --data "$colleague" case note "$case_id" --kind breach "Suspect followed her bus from the hospital"
step "$FIELDCASE" heads --out "$colleague/station.heads"
step "$FIELDCASE" --data "$colleague" export --to "$colleague/stick.fcb" --since "$colleague/station.heads"
step "$FIELDCASE" import "$colleague/stick.fcb"
step "$FIELDCASE" case history "$case_id"
"$FIELDCASE" --data "$hub" init >/dev/null
"$FIELDCASE" --data "$hub" enrol-request --out "$hub/hub.fcreq" >/dev/null
"$FIELDCASE" org enrol "$hub/hub.fcreq" --role hub --out "$hub/hub.fcenr" --yes 2>/dev/null >/dev/null
"$FIELDCASE" --data "$hub" join "$hub/hub.fcenr" --yes 2>/dev/null
step "$FIELDCASE" --data "$hub" case show "$case_id"
step "$FIELDCASE" org members
# For court: the case disclosed into a folder of its own, checked with no store or key.
court=$(mktemp -d /tmp/fieldcase-demo-court.XXXXXX)
trap 'rm -rf "$data" "$court"' EXIT
step "$FIELDCASE" case disclose "$case_id" --to "$court/case.fcd"
step env -u FIELDCASE_DATA -u FIELDCASE_PASSPHRASE "$FIELDCASE" disclosure check "$court/case.fcd"
echo
echo "Nothing above is readable on disk without the passphrase:"
if grep -rqa "J. Doe" "$data"; then echo "FOUND PLAINTEXT (bug)"; exit 1; else echo "  grep for the victim's name in $data: no match"; fi
