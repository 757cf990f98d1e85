namespace VMetal;
