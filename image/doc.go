// Package image is repro's tag/push core: build a trainer image once from
// a base and a context directory, reproducibly; tag it many ways (TagSet);
// push every tag to one digest; promote by re-tagging that digest without
// pulling or uploading layers.
//
// Start with TagSet, Build and Promote. Record stores their results in the
// ledger. Nothing here talks to a container daemon: images go straight to
// the registry through go-containerregistry.
package image
