from vmxref.fastcli import main

main()
