module github.com/squall-stream/squall/topologies/go-word-count

go 1.22

require github.com/squall-stream/squall/multilang/go v0.0.0

require (
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
)

// The library from this repository, not a published version.
replace github.com/squall-stream/squall/multilang/go => ../../multilang/go
