namespace VMetal.Testing;
