#include "commands.h"

namespace fieldcase::cli {

const std::vector<Command>& AllCommands() {
  static const std::vector<Command> commands = {
      {"init",
       "[--org NAME]",
       "Make this device's keys. With --org, found an organisation here: root, admin and "
       "supervisor keys, team key, recovery key. Without, make a device that joins one.",
       "Options:\n"
       "  --org NAME                      found an organisation with this name\n"
       "  --name NAME, --badge BADGE      your name and badge, sealed in your certificates\n"
       "  --recovery-out FILE             where to write the sealed recovery secret\n"
       "                                  (default DIR/recovery.fcrecovery; move it offline)\n"
       "  --recovery-passphrase-file F    its passphrase (else $FIELDCASE_RECOVERY_PASSPHRASE,\n"
       "                                  else a prompt); must differ from the main one\n"
       "  --root-out FILE                 also write the root key, sealed under its own\n"
       "                                  passphrase, to hold offline (`org export-root`)\n"
       "  --root-passphrase-file F        its passphrase (else $FIELDCASE_ROOT_PASSPHRASE)\n"
       "  --insecure-fast-kdf             weaker Argon2id for tests only; `status` warns\n\n"
       "Passphrases need at least 12 characters and three kinds of character, or 20+.",
       {{"org", true},
        {"name", true},
        {"badge", true},
        {"recovery-out", true},
        {"recovery-passphrase-file", true},
        {"root-out", true},
        {"root-passphrase-file", true},
        {"insecure-fast-kdf"}},
       0,
       0,
       RunInit},
      {"case open",
       "--template NAME",
       "Open a case from a template and print its id.",
       "Options:\n"
       "  --template NAME        template to use (built in: stalking)\n"
       "  --set FIELD=VALUE      set a field at once (repeatable)\n"
       "  --restricted           only named persons can read it (and the recovery holder)\n"
       "  --to PERSON            a person who may read a restricted case: name, badge or\n"
       "                         key prefix (repeatable; you are always included)\n"
       "  --templates DIR        also look for NAME.json here ($FIELDCASE_TEMPLATES too)",
       {{"template", true},
        {"set", true, true},
        {"restricted"},
        {"to", true, true},
        {"templates", true}},
       0,
       0,
       RunCaseOpen},
      {"case set",
       "CASE FIELD VALUE",
       "Set a field. The new value supersedes the values you saw; concurrent values from "
       "others stay a visible conflict until a later set resolves them.",
       "",
       {},
       3,
       3,
       RunCaseSet},
      {"case resolve",
       "CASE FIELD VALUE",
       "Resolve a conflict: VALUE supersedes every current value of FIELD (the concurrent "
       "values from officers who edited offline stay in `case history`). Refused when there is "
       "no conflict to resolve.",
       "",
       {},
       3,
       3,
       RunCaseResolve},
      {"case clear",
       "CASE FIELD",
       "Clear a field: its current values are superseded by none (they stay in `case "
       "history`).",
       "",
       {},
       2,
       2,
       RunCaseClear},
      {"case note",
       "CASE [--kind KIND] TEXT",
       "Add a note to the case timeline.",
       "Options:\n"
       "  --kind KIND      incident, breach, contact, action or referral (the template's list;\n"
       "                   default: the first)\n"
       "  --stdin-lines    add each line of standard input as its own note, each committed\n"
       "                   and acknowledged (its id printed) before the next\n"
       "  --at WHEN        when the event happened (UTC): YYYY-MM-DD or \"YYYY-MM-DD HH:MM\";\n"
       "                   shown beside when the note was written",
       {{"kind", true}, {"stdin-lines"}, {"at", true}},
       1,
       2,
       RunCaseNote},
      {"case tag", "CASE TAG", "Add a tag to a case.", "", {}, 2, 2, RunCaseTag},
      {"case untag",
       "CASE TAG",
       "Remove a tag (the adds you have seen; a concurrent add elsewhere wins).",
       "",
       {},
       2,
       2,
       RunCaseUntag},
      {"case close",
       "CASE",
       "Close a case (notes can still be added).",
       "",
       {},
       1,
       1,
       RunCaseClose},
      {"case reopen", "CASE", "Reopen a closed case.", "", {}, 1, 1, RunCaseReopen},
      {"case show",
       "CASE",
       "Show a case: fields (with open conflicts, each value's author and time), tags, "
       "status and the notes as a timeline.",
       "",
       {},
       1,
       1,
       RunCaseShow},
      {"case list",
       "",
       "List cases, optionally filtered.",
       "Options:\n"
       "  --status open|closed   only cases with this status\n"
       "  --field FIELD=VALUE    only cases where a current value of FIELD is VALUE\n"
       "  --tag TAG              only cases carrying TAG",
       {{"status", true}, {"field", true, true}, {"tag", true, true}},
       0,
       0,
       RunCaseList},
      {"case history",
       "CASE",
       "Every entry of a case: who wrote what, when, and what superseded what.",
       "",
       {},
       1,
       1,
       RunCaseHistory},
      {"case disclose",
       "CASE --to FILE",
       "Write a disclosure of a case for a court: its entries with the keys of the chosen "
       "ones only, and what proves them. Checkable anywhere with `disclosure check`.",
       "The file carries the organisation log (enrolments and roles), every entry of the\n"
       "case (payloads only of the disclosed ones), the headers that link each author's\n"
       "chain from seq 1, and one 32-byte entry key per disclosed entry: it opens that\n"
       "entry alone, never the case. A readable timeline is written beside it (FILE.html).\n"
       "docs/formats/disclosure.md says exactly what else it reveals.\n\n"
       "Options:\n"
       "  --to FILE          where to write the disclosure (must not exist)\n"
       "  --entries ID,...   disclose only these data entries (ids or 8+ digit prefixes,\n"
       "                     from `fieldcase case history CASE`); default: every entry\n"
       "                     this device can read",
       {{"to", true}, {"entries", true}},
       1,
       1,
       RunCaseDisclose},
      {"disclosure check",
       "FILE",
       "Check a case disclosure with no store, passphrase or key, and print what it proves "
       "and what it does not.",
       "Re-verifies every signature, chain link, payload hash, enrolment and role, and opens\n"
       "each disclosed entry with its key after checking the key against the commitment its\n"
       "author signed. Prints the authors, the timeline and what is not proven. Exits 1 if\n"
       "anything fails.\n\n"
       "Options:\n"
       "  --html FILE   also write the readable timeline to FILE",
       {{"html", true}},
       1,
       1,
       RunDisclosureCheck},
      {"verify",
       "",
       "Check every signature, chain link, id, payload hash and status. Needs no passphrase "
       "and no keys; exits 1 and names each bad entry if anything fails.",
       "Hub receipts held are checked too: an entry a receipt covers that this store held\n"
       "and lacks now fails as missing after receipt; a hub whose receipts contradict each\n"
       "other is named (EQUIVOCATION), like a fork.\n\n"
       "Options:\n"
       "  --device         also check what only this device's keys can show (asks for the\n"
       "                   passphrase): each of its keys is enrolled or has written here,\n"
       "                   and every entry it wrote still has its payload\n"
       "  --report FILE    also write a report to file as evidence: FILE (JSON, signed by\n"
       "                   this device's key, so it asks for the passphrase) and a readable\n"
       "                   page beside it (FILE with .html). Per author key: role, person\n"
       "                   (named where this device holds the directory key), seqs, heads,\n"
       "                   counts by status; every fork and problem. Check it later with\n"
       "                   `fieldcase report check FILE [--store DIR]`\n"
       "  --unsigned       write the report without a signature (no passphrase needed)",
       {{"device"}, {"report", true}, {"unsigned"}},
       0,
       0,
       RunVerify},
      {"report check",
       "FILE",
       "Check a verification report's signature, and that a store still holds what it covered.",
       "Needs no passphrase and no keys. Prints who signed the report (key, fingerprint and\n"
       "role), when, and what it found. Exits 1 if the signature fails, the report is unsigned,\n"
       "or the store has lost an entry the report covered.\n\n"
       "Options:\n"
       "  --store DIR   a data folder to compare: every chain the report covered must still\n"
       "                be held up to the report's head, with the same entry ids (a store\n"
       "                may grow; it may not shrink or change). The signer's role is then\n"
       "                read from the store's certificates",
       {{"store", true}},
       1,
       1,
       RunReportCheck},
      {"status",
       "",
       "Show this node: organisation, keys, entry counts, heads.",
       "",
       {},
       0,
       0,
       RunStatus},
      {"templates",
       "",
       "List the case templates available.",
       "Options:\n  --templates DIR   also look here",
       {{"templates", true}},
       0,
       0,
       RunTemplates},
      {"enrol-request",
       "--out FILE",
       "Write this device's signed enrolment request, for an administrator.",
       "Options:\n"
       "  --out FILE                 where to write the request\n"
       "  --name NAME, --badge B     who will use the device (sealed once enrolled)\n"
       "  --successor                on an enrolled device restored from a backup (or to\n"
       "                             re-key): make a new key that succeeds the current one;\n"
       "                             the current key signs the request too\n"
       "  --replaces KEY             on a new device replacing a lost one: name the lost\n"
       "                             device's key (64 hex digits); the administrator must\n"
       "                             confirm it, and the lost device is revoked",
       {{"out", true}, {"name", true}, {"badge", true}, {"successor"}, {"replaces", true}},
       0,
       0,
       RunEnrolRequest},
      {"org enrol",
       "REQUEST --role ROLE --out RESPONSE",
       "Enrol a device from its request. Shows the request's fingerprint to compare with the\n"
       "device's before anything is signed.",
       "Options:\n"
       "  --role ROLE      officer, supervisor, admin (signed by root), hub or auditor\n"
       "  --out FILE       where to write the response the device joins with\n"
       "  --replaces KEY   confirm that the request replaces this lost device (a member's\n"
       "                   key prefix, name or badge); the lost device is revoked\n"
       "  --yes            the fingerprints were compared; do not ask\n"
       "  --reissue        the device is enrolled already: write its response again (the\n"
       "                   first was lost or could not be written); signs nothing new",
       {{"role", true}, {"out", true}, {"replaces", true}, {"yes"}, {"reissue"}},
       1,
       1,
       RunOrgEnrol},
      {"join",
       "RESPONSE",
       "Join the organisation with an administrator's response; shows the fingerprint to compare.",
       "Options:\n  --yes   the fingerprints were compared; do not ask",
       {{"yes"}},
       1,
       1,
       RunJoin},
      {"org members",
       "",
       "List enrolled devices (names where this device holds the directory key).",
       "",
       {},
       0,
       0,
       RunOrgMembers},
      {"org export-root",
       "--out FILE",
       "Write the organisation's root key to FILE, sealed under a passphrase of its own, to "
       "hold offline; with it, administration is restored on another device.",
       "Options:\n"
       "  --out FILE                    where to write it (move it offline)\n"
       "  --root-passphrase-file F      its passphrase (else $FIELDCASE_ROOT_PASSPHRASE, else\n"
       "                                a prompt); must differ from the device passphrase",
       {{"out", true}, {"root-passphrase-file", true}},
       0,
       0,
       RunOrgExportRoot},
      {"org restore-root",
       "FILE",
       "Bring the root key back from its offline file onto this member device, so it can enrol "
       "and revoke administrators when the founding device is lost.",
       "Options:\n"
       "  --root-passphrase-file F      the file's passphrase (else $FIELDCASE_ROOT_PASSPHRASE,\n"
       "                                else a prompt)\n"
       "  --yes                         the device that held the root key is gone; do not ask",
       {{"root-passphrase-file", true}, {"yes"}},
       1,
       1,
       RunOrgRestoreRoot},
      {"org revoke",
       "DEVICE",
       "Revoke a device (key prefix, name or badge) at its newest entry held here; its later "
       "entries are quarantined everywhere.",
       "Asks for confirmation at the terminal. Refuses this device's own keys and the\n"
       "organisation's last administrator key, saying so; a device already revoked is\n"
       "reported, not revoked twice.\n\n"
       "Options:\n  --yes   the device was checked; do not ask",
       {{"yes"}},
       1,
       1,
       RunOrgRevoke},
      {"org accept-up-to",
       "DEVICE --seq N",
       "After review, accept a revoked device's entries up to seq N.",
       "Options:\n  --seq N   the last entry to accept",
       {{"seq", true}},
       1,
       1,
       RunOrgAcceptUpTo},
      {"org rotate-team-key",
       "",
       "Write a new team key generation for every current officer and supervisor device "
       "(revoked devices are left out); it carries the previous generations.",
       "",
       {},
       0,
       0,
       RunOrgRotateTeamKey},
      {"recover",
       "CASE --to PERSON --recovery-file FILE",
       "With the recovery secret, grant a restricted case's key to a person's devices "
       "(when its members are gone). Its holder can read every restricted case.",
       "Options:\n"
       "  --to PERSON                    name, badge or key prefix (repeatable)\n"
       "  --recovery-file FILE           the sealed recovery secret from `init --org`\n"
       "  --recovery-passphrase-file F   its passphrase (else $FIELDCASE_RECOVERY_PASSPHRASE,\n"
       "                                 else a prompt)",
       {{"to", true, true}, {"recovery-file", true}, {"recovery-passphrase-file", true}},
       1,
       1,
       RunRecover},
      {"backup",
       "--to DIR",
       "Copy the log (SQLite backup API) to DIR, leaving the signing keys out. A restored copy "
       "reads, and writes only after a successor enrolment (`enrol-request --successor`).",
       "Options:\n  --to DIR   an empty folder",
       {{"to", true}},
       0,
       0,
       RunBackup},
      {"heads",
       "--out FILE",
       "Write this device's heads, so another device exports only what this one lacks.",
       "Options:\n  --out FILE   where to write them (no secret, no case content)",
       {{"out", true}},
       0,
       0,
       RunHeads},
      {"export",
       "--to FILE",
       "Write a bundle for a USB stick: entries the recipients lack, encrypted to them.",
       "Options:\n"
       "  --to FILE          where to write the bundle: a new file (never one that exists);\n"
       "                     written as FILE.tmp and named FILE only once complete\n"
       "  --for MEMBER       a device that may open it (repeat; key prefix, name or badge);\n"
       "                     default: every current member device, hub and auditors included\n"
       "  --since HEADS      the other device's `fieldcase heads` file: only what it lacks",
       {{"to", true}, {"for", true, true}, {"since", true}},
       0,
       0,
       RunExport},
      {"import",
       "BUNDLE",
       "Import a bundle made for this device: checked whole, then every entry verified.",
       "Importing the same bundle twice changes nothing.",
       {},
       1,
       1,
       RunImport},
      {"sync",
       "HOST:PORT",
       "Sync with a hub (`fieldcase hub serve`) or a colleague's device (`fieldcase serve`): "
       "a mutually authenticated, encrypted session; the org log first, then every entry "
       "either side lacks, each verified.",
       "Options:\n"
       "  --watch                keep syncing: every 30 s while reachable, retrying with\n"
       "                         backoff (1 s doubling to 60 s) while not\n"
       "  --idle-timeout SECS    end a session whose peer is silent this long (default 60)\n\n"
       "A cut connection loses nothing: what arrived is kept, and the next sync resumes from\n"
       "the new heads.",
       {{"watch"}, {"idle-timeout", true}},
       1,
       1,
       RunSync},
      {"serve",
       "[--listen ADDR:PORT]",
       "Let colleagues' devices sync with this one over the network (peer to peer).",
       "Options:\n"
       "  --listen ADDR:PORT       where to listen (default 127.0.0.1:7420; 0.0.0.0:PORT for\n"
       "                           every interface)\n"
       "  --max-connections N      sessions at once (default 256); at the limit a new\n"
       "                           connection ends the oldest one still in its handshake,\n"
       "                           or is dropped at once\n"
       "  --idle-timeout SECS      end a session whose peer is silent this long (default 60)\n"
       "  --handshake-timeout SECS drop a connection that has not authenticated by then\n"
       "                           (default 10)\n\n"
       "One log line per session. Ctrl-C or SIGTERM stops accepting and lets sessions in\n"
       "flight finish.",
       {{"listen", true}, {"max-connections", true}, {"idle-timeout", true},
        {"handshake-timeout", true}},
       0,
       0,
       RunServe},
      {"hub serve",
       "[--listen ADDR:PORT]",
       "Run this device as the station's hub: it stores and forwards every entry (ciphertext: "
       "a hub holds no team or case key) for every member device that syncs with it.",
       "Each session in which it accepts entries ends with a receipt signed by the hub key:\n"
       "the heads it then holds of each author whose chain grew, carried back to the device\n"
       "in the same session. A device that later lacks an entry a receipt covers is told by\n"
       "`fieldcase verify` (missing after receipt).\n\n"
       "Options as for `serve`. Enrol the hub's device with `--role hub`; run it as a service\n"
       "(examples/fieldcase-hub.service).",
       {{"listen", true}, {"max-connections", true}, {"idle-timeout", true},
        {"handshake-timeout", true}},
       0,
       0,
       RunServe},
      {"hub status",
       "",
       "List member devices with when each last synced with this hub and the newest entry "
       "held of each.",
       "",
       {},
       0,
       0,
       RunHubStatus},
      {"bundle inspect",
       "BUNDLE",
       "Describe a bundle from its signed manifest: who made it, when, how many entries.",
       "",
       {},
       1,
       1,
       RunBundleInspect},
  };
  return commands;
}

}  // namespace fieldcase::cli
