// Schema migrations: migration i takes the database from user_version i to i+1.
#pragma once

#include "db.h"

namespace fieldcase::store {

inline constexpr int kSchemaVersion = 3;
// The triggers that keep the log append-only; verify reports any that is missing.
inline constexpr const char* kAppendOnlyTriggers[] = {
    "opaque_immutable", "entries_signed_columns_immutable", "entries_no_delete",
    "payloads_immutable", "payloads_no_delete"};
// For a read-only open: the database is at kSchemaVersion, or a clear error.
Status CheckSchema(Db& db);
// Brings the database to kSchemaVersion inside one transaction; refuses a database
// written by a newer fieldcase.
Status Migrate(Db& db);

}  // namespace fieldcase::store
