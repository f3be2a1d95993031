module cleak.bench/gomany

go 1.21
