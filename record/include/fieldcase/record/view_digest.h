// The case view digest (DESIGN §6): devices holding the same entries and keys have equal
// digests. It covers the merge-rules version and every part of CaseView, including the ids the
// reader cannot decrypt. It covers nothing local: receipt times and future-dated flags are not
// in CaseView at all.
//
// digest = BLAKE2b-256, personal "fc-view", unkeyed, salt zero, over:
//
//   u32 merge-rules version (kMergeRulesVersion)
//   u8 0                                   if no open-case op, else
//   u8 1 ‖ open                            the chosen open-case op
//   u64 n ‖ n × open                       the other open-case ops, in view order
//   u64 n ‖ n × (str name ‖ reg(str))      fields, by name bytewise
//   u64 n ‖ n × note                       notes, in view order
//   u64 n ‖ n × str                        present tags, bytewise
//   reg(u8)                                status (1 open, 2 closed)
//   u64 n ‖ n × (stamp ‖ u8 code)          unknown changes
//   u64 n ‖ n × id                         undecryptable ids, bytewise
//   u64 n ‖ n × (id entry ‖ id referenced ‖ u8 reason)   ignored references, in view order
//
// where
//   u8, u32, u64   little-endian integers of that width
//   str            u64 byte length ‖ bytes
//   id, key        32 bytes
//   stamp          id ‖ key author ‖ u64 seq ‖ u64 hlc
//   open           stamp ‖ str template ‖ u64 n ‖ n × (str name ‖ u64 m ‖ m × str allowed)
//                  ‖ u64 k ‖ k × str note kind
//   reg(T)         u64 n ‖ n × (stamp ‖ T)                        current values
//                  ‖ u64 h ‖ h × (stamp ‖ T ‖ u64 k ‖ k × id)     history with superseded_by
//   note           stamp ‖ str kind ‖ str text
//
// Every variable-length part is length-prefixed, so two different views cannot serialise to
// the same bytes. Change any rule in case_state.cpp or this layout: bump kMergeRulesVersion.
#pragma once

#include <cstdint>

#include "fieldcase/base/bytes.h"
#include "fieldcase/record/case_state.h"

namespace fieldcase::record {

// Version history: 1 = DESIGN §6 as written in docs/merge.md.
inline constexpr uint32_t kMergeRulesVersion = 1;

Id ViewDigest(const CaseView& view);

}  // namespace fieldcase::record
