#ifndef SLUICE_COMMON_MYSQL_STATEMENT_CACHE_H_
#define SLUICE_COMMON_MYSQL_STATEMENT_CACHE_H_

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

namespace sql {
class Connection;
class PreparedStatement;
}  // namespace sql

namespace sluice {

// The server-side prepared statements of one connection, by SQL text: a
// statement run again on the connection is neither parsed nor prepared
// again. The least recently used are closed past `capacity` statements or
// `max_parameters` parameters in all (each bound parameter holds buffers on
// both sides). Used by one thread at a time (the one holding the
// connection).
class StatementCache {
 public:
  StatementCache(sql::Connection* owner, size_t capacity,
                 size_t max_parameters);
  ~StatementCache();
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The cached statement for `sql`, prepared on `con` on first use; null
  // for a statement with more than a 16th of the parameter budget (a large
  // batch's), which is better prepared per use: its parse cost is spread
  // over many rows anyway.
  sql::PreparedStatement* Get(sql::Connection& con, const std::string& sql);
  size_t size() const { return index_.size(); }
  size_t parameters() const { return parameters_; }
  sql::Connection* owner() const { return owner_; }

 private:
  struct Entry {
    std::string sql;
    size_t parameters;
    std::unique_ptr<sql::PreparedStatement> statement;
  };
  sql::Connection* const owner_;
  const size_t capacity_;
  const size_t max_parameters_;
  size_t parameters_ = 0;
  std::list<Entry> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// The statement for `sql` on `con`: cached when `con` is the pool
// connection the calling thread holds (MySqlPool::Statements()) and the
// statement fits its cache, else prepared for this one use and kept alive
// by `*owned`.
sql::PreparedStatement* PrepareCached(
    sql::Connection& con, const std::string& sql,
    std::unique_ptr<sql::PreparedStatement>* owned);

}  // namespace sluice

#endif  // SLUICE_COMMON_MYSQL_STATEMENT_CACHE_H_
