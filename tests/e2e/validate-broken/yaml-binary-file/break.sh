# A binary file saved under a .yaml name.
printf '\177ELF\002\001\001\000\000\000' >recipients/leads/spring-fair.yaml
