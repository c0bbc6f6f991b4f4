package compare

// ParseListing is parseListing, for the tests.
var ParseListing = parseListing
