package rerun

// ParseListing is parseListing, for the tests.
var ParseListing = parseListing
