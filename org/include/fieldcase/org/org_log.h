// The org log: the root chain plus the admin chains (DESIGN §5).
//
//   digest = BLAKE2b-256("fc-orglog") of, for each head (author, seq, id) of those chains
//            sorted by (author, seq, id): author(32) ‖ seq(8, LE) ‖ id(32)
#pragma once

#include <vector>

#include "fieldcase/base/bytes.h"
#include "fieldcase/store/store.h"

namespace fieldcase::org {

// heads: every head of the store; org_authors: the root and admin keys.
Id OrgLogDigest(const std::vector<store::Head>& heads, const std::vector<PublicKey>& org_authors);

}  // namespace fieldcase::org
