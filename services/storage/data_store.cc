#include "services/storage/data_store.h"

namespace sluice {

DataStore::DataStore(MySqlPool* pool, std::string data_database,
                     RecordWriter::Options writer_options)
    : catalog_(pool, std::move(data_database)),
      writer_(pool, &catalog_, writer_options),
      reader_(pool, &catalog_) {}

std::vector<std::vector<std::string>> DataStore::Migrations() {
  // Version 1 is the catalog, version 2 the idempotency keys.
  return {TableCatalog::Migration(), RecordWriter::Migration()};
}

}  // namespace sluice
