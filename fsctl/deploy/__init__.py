"""`fsctl deploy`: the credentialed preview that is reviewed, then exactly its plan applied."""
