// Dependent validity (DESIGN §4.1 step 2): each entry's status as a deterministic function
// of the *set* of entries held — enrolment, role authority (§5), revocation cut-offs,
// forks, unknown versions. Every node, hub and auditor computes the same statuses for the
// same set, in any arrival order.
//
// Layers (no cycles, so no fixpoint iteration is needed):
//   0  per author: fork point (lowest seq held twice) and upgrade point (lowest seq whose
//      kind or op this version does not know)
//   1  root = author of the founding entry (control op 1 at seq 1, OrgId(author) = org_id)
//   2  admin certificates and admin cut-offs, from root entries that count
//   3  admin entries
//   4  certificates and cut-offs of every other key, from admin entries that count
//   5  every other entry
// An entry *counts* when its status is accepted.
//
// Restricted cases name persons through the X25519 keys their key entries are sealed to. A
// box key names the person of the first counting certificate (canonical order) that
// carries it, and never anyone when it is the founding entry's recovery key or cannot be
// sealed to (all zero, low order): a certificate cannot borrow another's box key.
//
// Status of an entry e by author a at seq s:
//   quarantined  s ≥ fork point of a; or s past a's cut-off, or at or below it but not on
//                the chain that ends at the cut-off's last entry (applied while
//                certificates are applied, so an off-chain certificate of a revoked admin
//                enrols nobody); or a key or control payload that is signed but malformed
//                (org/payload_rules.h); or a is enrolled but its role may not write e
//                (authority table, §5)
//   needs upgrade  e itself has an unknown kind or op
//   pending      s > upgrade point of a (waits behind it); a not enrolled (yet); a has a
//                cut-off whose last entry is not held here (which branch counts is not
//                known yet); a key or
//                control payload not held; a case key entry whose case's opening entry is
//                not held; a data entry whose key entry is not held; no root held
//   accepted     otherwise
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/org/control_payload.h"
#include "fieldcase/org/key_payload.h"
#include "fieldcase/store/entry.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

struct ValidityInput {
  Id id{};
  store::Header header;
  bool payload_held = false;
  bool unknown_op = false;  // an unknown kind, or a key/control op this version cannot read
  bool malformed = false;   // a key/control payload, held and signed, that breaks the rules
  // Decoded payloads of the few key and control entries, held apart: an input per entry
  // of a 100,000-entry store is built on every verify and settle, and stays small.
  std::shared_ptr<const ControlPayload> control;
  std::shared_ptr<const KeyPayload> key;
};

// Builds the input of one stored entry (decodes key and control payloads strictly).
ValidityInput MakeValidityInput(const store::StoredEntry& se);

struct Enrolled {
  Role role = Role::kOfficer;
  Id certificate{};                 // the entry that enrolled the key
  std::optional<uint64_t> cut_off;  // last accepted seq, when revoked
  std::optional<Id> cut_off_id;
  Enrolment enrolment;  // as certified (root: only subject and role)
};

struct ValidityResult {
  std::vector<store::EntryStatus> status;  // status[i] is the status of entries[i]
  std::map<PublicKey, Enrolled> enrolled;  // every key with a certificate that counts
  std::optional<PublicKey> root;
  PublicKey recovery{};                  // the founding entry's recovery recipient
  std::map<PublicKey, Id128> box_owner;  // box key → the one person it names
  std::map<PublicKey, uint64_t> fork_points;
};

// `entries` holds each entry once (an id twice reads as a fork of its author).
ValidityResult ComputeValidity(const Id& org_id, const std::vector<ValidityInput>& entries);

// The statuses keyed by entry id (for tests and reports; the rules index by position).
std::map<Id, store::EntryStatus> StatusById(const std::vector<ValidityInput>& entries,
                                            const ValidityResult& result);

// The authority table of DESIGN §5, for one (role, entry) pair. The entry's own fields
// (kind, case_id, control op, certified role) decide.
bool RoleMayWrite(Role role, const ValidityInput& e);

}  // namespace fieldcase::org
