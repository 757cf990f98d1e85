namespace VMetal.Bmc;
