module stapled.io/tlsload

go 1.19
