// Schema migrations: migration i takes the database from user_version i to i+1.
#pragma once

#include "db.h"

namespace fieldcase::store {

inline constexpr int kSchemaVersion = 1;
// Brings the database to kSchemaVersion inside one transaction; refuses a database
// written by a newer fieldcase.
Status Migrate(Db& db);

}  // namespace fieldcase::store
