namespace VMetal.Libvirt;
